"""Cadences: office managers set up the sequences follow-ups run on, and their message templates."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from plans import followup_services
from plans.cadence_forms import content_warnings, template_problems
from plans.followup_models import Cadence, CadenceStep, FollowUp, Reminder
from plans.reminders import render_text
from tests.factories import PatientFactory, confirmed_totp_device
from tests.plans.overview_builders import PlanMaker, make_catalog


def _url(name, practice, *args) -> str:
    return reverse(f"follow_ups:{name}", args=[practice.slug, *args])


@pytest.fixture
def cadence(practice):
    with scope(practice=practice):
        cadence = Cadence.objects.create(practice=practice, name="Cost worries", reasons=["cost"])
        for number, (days, channel) in enumerate(((3, "call"), (10, "sms")), start=1):
            CadenceStep.objects.create(
                practice=practice,
                cadence=cadence,
                number=number,
                days=days,
                channel=channel,
                body="Hi {first_name}, {practice} here: {plan_link}" if channel == "sms" else "",
            )
    return cadence


def _steps(cadence) -> list[tuple]:
    with scopes_disabled():
        return list(
            CadenceStep.objects.filter(cadence=cadence)
            .order_by("number")
            .values_list("number", "days", "channel", "after")
        )


# --- Message templates (pure) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hi {first_name} from {practice}: {plan_link}", None),
        ("Hi {last_name}", "Unknown field {last_name}"),
        ("{first_name} owes {amount} for {treatment}", "Unknown fields {amount}, {treatment}"),
        ("Hi {first_name.__class__}", "Unknown field {first_name.__class__}"),
        ("Hi {}", "Unknown field {}"),
        ("Hi {first_name", "Braces are only for the fields"),
        ("Hi first_name}", "Braces are only for the fields"),
        ("{{first_name}}", "Braces are only for the fields"),
    ],
)
def test_templates_use_only_the_three_fields(text, problem):
    problems = template_problems(text)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in found for found in problems), problems


def test_rendering_fills_the_fields_and_nothing_else():
    text = "Hi {first_name}, {practice}: {plan_link} {0} {first_name!r}"
    assert render_text(text, first_name="Maria", practice="Smile", plan_link="L") == (
        "Hi Maria, Smile: L {0} {first_name!r}"
    )


def test_treatment_and_amounts_are_flagged():
    assert content_warnings("Hi {first_name}, see you soon") == []
    warnings = content_warnings("Your crown and root canal", "only $1,250.00")
    assert any("crown, root canal" in warning for warning in warnings)
    assert any("amount" in warning for warning in warnings)


# --- The list and the default ----------------------------------------------------------------


def test_the_list_shows_the_default_2_2_2(client_for, practice, bob):
    response = client_for(bob).get(_url("cadences", practice))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2-2-2" in page
    assert "Default" in page
    assert "Call after 2 days" in page
    assert "Email after 14 days" in page
    assert "Changes apply to follow-ups started from now on" in page
    with scopes_disabled():
        assert Cadence.objects.filter(practice=practice, is_default=True).count() == 1


def test_front_desk_and_coordinators_cannot_manage_cadences(
    client_for, practice, alice, erin, cadence
):
    for user in (alice, erin):
        client = client_for(user)
        assert client.get(_url("cadences", practice)).status_code == 403
        assert client.post(_url("cadence_create", practice), {"name": "X"}).status_code == 403
        assert client.post(_url("cadence_delete", practice, cadence.pk)).status_code == 403
    with scopes_disabled():
        assert Cadence.objects.filter(pk=cadence.pk).exists()


# --- Creating and editing ----------------------------------------------------------------------


def test_a_manager_creates_a_cadence_then_adds_steps(client_for, practice, bob):
    client = client_for(bob)
    response = client.post(
        _url("cadence_create", practice),
        {"name": " Second opinion ", "reasons": ["second_opinion", "fear"]},
    )
    with scopes_disabled():
        created = Cadence.objects.get(practice=practice, name="Second opinion")
    assert response["Location"] == _url("cadence_edit", practice, created.pk)
    assert created.reasons == ["fear", "second_opinion"]
    assert not created.is_default

    added = client.post(
        _url("step_add", practice, created.pk),
        {
            "days": "7",
            "after": "presentation",
            "channel": "email",
            "subject": "Your plan at {practice}",
            "body": "Hello {first_name},\nYour plan: {plan_link}",
        },
    )
    assert added.status_code == 302
    client.post(
        _url("step_add", practice, created.pk),
        {"days": "3", "after": "previous", "channel": "call"},
    )
    assert _steps(created) == [(1, 7, "email", "presentation"), (2, 3, "call", "previous")]
    page = client.get(_url("cadence_edit", practice, created.pk)).content.decode()
    assert "Your plan at {practice}" in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "2-2-2"}, "There is already a cadence named “2-2-2”."),
        ({"name": "cost worries"}, "There is already a cadence named"),
        ({"name": "Money", "reasons": ["cost"]}, "“Cost” already starts “Cost worries”"),
        ({"name": "Money", "reasons": ["other_option"]}, "Select a valid choice"),
    ],
)
def test_bad_cadences_are_refused_with_422(client_for, practice, bob, cadence, data, error):
    client = client_for(bob)
    client.get(_url("cadences", practice))  # the default exists
    response = client.post(_url("cadence_create", practice), data)
    assert response.status_code == 422
    assert error in response.content.decode()
    with scopes_disabled():
        assert Cadence.objects.filter(practice=practice).count() == 2


def test_a_new_default_replaces_the_old_one(client_for, practice, bob, cadence):
    client = client_for(bob)
    client.get(_url("cadences", practice))
    response = client.post(
        _url("cadence_edit", practice, cadence.pk),
        {"name": "Cost worries", "reasons": ["cost"], "is_default": "on"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert list(
            Cadence.objects.filter(practice=practice, is_default=True).values_list(
                "name", flat=True
            )
        ) == ["Cost worries"]
    # The default cannot simply be switched off: another one must take over.
    refused = client.post(_url("cadence_edit", practice, cadence.pk), {"name": "Cost worries"})
    assert refused.status_code == 422
    assert "make another one the default" in refused.content.decode()


# --- Steps -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"days": "2", "after": "presentation", "channel": "sms", "body": "Hi {name}"}, "{name}"),
        (
            {"days": "2", "after": "presentation", "channel": "email", "body": "Hi"},
            "needs a subject",
        ),
        ({"days": "2", "after": "presentation", "channel": "sms"}, "Write the message"),
        ({"days": "-1", "after": "presentation", "channel": "call"}, "greater than or equal"),
        ({"days": "900", "after": "presentation", "channel": "call"}, "less than or equal"),
        ({"days": "2", "after": "presentation", "channel": "letter"}, "Select a valid choice"),
        ({"days": "2", "after": "presentation", "channel": "sms", "body": "x" * 321}, "320"),
    ],
)
def test_bad_steps_are_refused_with_422(client_for, practice, bob, cadence, data, error):
    response = client_for(bob).post(_url("step_add", practice, cadence.pk), data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert len(_steps(cadence)) == 2


def test_the_first_step_counts_from_the_presentation(client_for, practice, bob):
    with scope(practice=practice):
        empty = Cadence.objects.create(practice=practice, name="Empty")
    response = client_for(bob).post(
        _url("step_add", practice, empty.pk), {"days": "2", "after": "previous", "channel": "call"}
    )
    assert response.status_code == 422
    assert "The first step counts from the presentation." in response.content.decode()


def test_the_preview_renders_for_a_sample_patient(client_for, practice, bob, cadence):
    response = client_for(bob).post(
        _url("step_add", practice, cadence.pk) + "?preview=1",
        {
            "days": "2",
            "after": "presentation",
            "channel": "sms",
            "body": "Hi {first_name}, {practice} here about your crown ($900.00).",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="step-preview"')
    assert "Hi Maria, Smile North Dental here about your crown" in page
    assert "seems to name treatment (crown)" in page
    assert "seems to contain an amount" in page
    assert "There is no {plan_link}" in page
    assert len(_steps(cadence)) == 2  # a preview saves nothing


def test_steps_are_edited_reordered_and_removed(client_for, practice, bob, cadence):
    client = client_for(bob)
    first, second = _step_objects(cadence)
    edited = client.post(
        _url("step_edit", practice, cadence.pk, first.pk),
        {"days": "4", "after": "presentation", "channel": "call", "body": "Ask about budget"},
    )
    assert edited.status_code == 302
    client.post(_url("step_move", practice, cadence.pk, second.pk), {"direction": "up"})
    assert _steps(cadence) == [(1, 10, "sms", "presentation"), (2, 4, "call", "presentation")]
    client.post(_url("step_remove", practice, cadence.pk, second.pk))
    assert _steps(cadence) == [(1, 4, "call", "presentation")]


def _step_objects(cadence):
    with scopes_disabled():
        return list(CadenceStep.objects.filter(cadence=cadence).order_by("number"))


def test_moving_a_step_after_the_previous_one_to_the_top_anchors_it(
    client_for, practice, bob, cadence
):
    first, second = _step_objects(cadence)
    with scopes_disabled():
        CadenceStep.objects.filter(pk=second.pk).update(after="previous")
    client_for(bob).post(_url("step_move", practice, cadence.pk, second.pk), {"direction": "up"})
    assert _steps(cadence)[0] == (1, 10, "sms", "presentation")


def test_the_default_keeps_at_least_one_step(client_for, practice, bob):
    client = client_for(bob)
    client.get(_url("cadences", practice))
    with scopes_disabled():
        default = Cadence.objects.get(practice=practice, is_default=True)
    for step in _step_objects(default):
        client.post(_url("step_remove", practice, default.pk, step.pk), follow=True)
    assert len(_steps(default)) == 1
    page = client.get(_url("cadence_edit", practice, default.pk)).content.decode()
    assert "cannot be deactivated or deleted" in page


# --- Deleting and deactivating -------------------------------------------------------------------


@pytest.fixture
def maker(practice, alice, dave):
    with scope(practice=practice):
        return PlanMaker(practice, alice, dave, make_catalog(practice))


def _follow_up_on(maker, cadence) -> FollowUp:
    with scope(practice=maker.practice):
        patient = PatientFactory(practice=maker.practice)
        built = maker.plan(patient, ("Restore", [("crown", {"tooth": "14"})]))
        maker.present(built)
        return followup_services.follow_up_start(
            plan=built.plan, owner=maker.user, anchor_at=timezone.now(), cadence=cadence
        )


def test_the_default_cadence_cannot_be_deleted(client_for, practice, bob):
    client = client_for(bob)
    client.get(_url("cadences", practice))
    with scopes_disabled():
        default = Cadence.objects.get(practice=practice, is_default=True)
    response = client.post(_url("cadence_delete", practice, default.pk), follow=True)
    assert "The default cadence cannot be deleted" in response.content.decode()
    refused = client.post(
        _url("cadence_active", practice, default.pk), {"active": "0"}, follow=True
    )
    assert "cannot be deactivated" in refused.content.decode()
    with scopes_disabled():
        assert Cadence.objects.get(pk=default.pk).is_active


def test_a_cadence_in_use_is_deactivated_instead_of_deleted(
    client_for, practice, bob, cadence, maker
):
    _follow_up_on(maker, cadence)
    client = client_for(bob)
    page = client.get(_url("cadence_edit", practice, cadence.pk)).content.decode()
    assert "1 active follow-up uses this cadence" in page
    assert _url("cadence_delete", practice, cadence.pk) not in page

    response = client.post(_url("cadence_delete", practice, cadence.pk), follow=True)
    assert "1 active follow-up uses this cadence, so it cannot be deleted" in (
        response.content.decode()
    )
    client.post(_url("cadence_active", practice, cadence.pk), {"active": "0"})
    with scopes_disabled():
        cadence.refresh_from_db()
        assert not cadence.is_active
        assert FollowUp.objects.filter(cadence=cadence, status="active").count() == 1


def test_an_unused_cadence_is_deleted(client_for, practice, bob, cadence):
    response = client_for(bob).post(_url("cadence_delete", practice, cadence.pk))
    assert response["Location"] == _url("cadences", practice)
    with scopes_disabled():
        assert not Cadence.objects.filter(pk=cadence.pk).exists()
        assert not CadenceStep.objects.filter(cadence_id=cadence.pk).exists()


def test_changes_affect_new_follow_ups_only(client_for, practice, bob, cadence, maker):
    follow_up = _follow_up_on(maker, cadence)
    with scopes_disabled():
        before = list(
            Reminder.objects.filter(follow_up=follow_up)
            .order_by("step_number")
            .values_list("step_number", "due_at")
        )
    first = _step_objects(cadence)[0]
    client_for(bob).post(
        _url("step_edit", practice, cadence.pk, first.pk),
        {"days": "30", "after": "presentation", "channel": "call"},
    )
    with scopes_disabled():
        after = list(
            Reminder.objects.filter(follow_up=follow_up)
            .order_by("step_number")
            .values_list("step_number", "due_at")
        )
    assert after == before
    later = _follow_up_on(maker, cadence)
    with scopes_disabled():
        due = Reminder.objects.get(follow_up=later, step_number=1).due_at
    assert due.date() - timezone.now().date() >= datetime.timedelta(days=29)


# --- Tenancy -----------------------------------------------------------------------------------


def test_another_practices_manager_gets_404_for_cadences_and_steps(
    client_for, practice, other_practice, charlie, cadence
):
    with scopes_disabled():
        charlie.memberships.update(role="office_manager")
        confirmed_totp_device(charlie)
    step = _step_objects(cadence)[0]
    slug_urls = [
        ("cadence_edit", (cadence.pk,)),
        ("cadence_delete", (cadence.pk,)),
        ("cadence_active", (cadence.pk,)),
        ("step_add", (cadence.pk,)),
        ("step_edit", (cadence.pk, step.pk)),
        ("step_remove", (cadence.pk, step.pk)),
        ("step_move", (cadence.pk, step.pk)),
    ]
    client = client_for(charlie)
    for name, args in slug_urls:
        url = _url(name, other_practice, *args)
        assert client.post(url, {"direction": "up", "active": "0"}).status_code == 404, url
    with scopes_disabled():
        assert Cadence.objects.get(pk=cadence.pk).is_active
    assert len(_steps(cadence)) == 2
