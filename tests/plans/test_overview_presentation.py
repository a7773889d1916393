"""A presentation page shows exactly what the patient saw, and what changed since the last one."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from coordinator.models import AuditEvent
from plans import services
from tests.factories import PatientFactory
from tests.plans.overview_builders import PlanMaker, make_catalog, request_as

ALTERNATIVES = (
    ("Implant", [("implant", {"tooth": "19"})]),
    ("Bridge", [("bridge", {"tooth": "19"}), ("filling", {"tooth": "30", "surfaces": "MO"})]),
)


@pytest.fixture
def maker(practice, alice, dave):
    with scope(practice=practice):
        return PlanMaker(practice, alice, dave, make_catalog(practice))


@pytest.fixture
def presented(practice, patient, maker):
    """A plan with two options presented ten days ago."""
    with scope(practice=practice):
        built = maker.plan(patient, *ALTERNATIVES, title="Lower left molar")
        presentation = maker.present(built, at=timezone.now() - datetime.timedelta(days=10))
    return built, presentation


def _url(practice, plan, presentation) -> str:
    return reverse("overview:presentation", args=[practice.slug, plan.pk, presentation.pk])


def test_the_page_shows_the_presentation_as_it_was_shown(practice, presented, alice, client_for):
    built, presentation = presented
    html = client_for(alice).get(_url(practice, built.plan, presentation)).content.decode()
    for text in (
        "Alice Coordinator",
        "In person",
        "Talked through both options.",
        "Maria Gomez",
        "Lower left molar",
        'Implant <span class="badge">Recommended</span>',
        "<code>D6010</code>",
        "Implant (plain words)",
        "<td>#19</td>",
        "<td>#30 MO</td>",
        "$2,100.00",
        "$1,150.00",
        "$1,360.00",  # the bridge option's total
        "Phase 1",
    ):
        assert text in html, text
    assert "What changed" not in html  # the first presentation


def test_later_edits_do_not_change_what_was_shown(practice, presented, maker, alice, client_for):
    built, presentation = presented
    implant = built.procedures[0][0]
    with scope(practice=practice):
        maker.change(built, implant, fee=Decimal("2450.00"), tooth="18")
        built.plan.refresh_from_db()
        services.option_update(
            option=built.options[1],
            request=request_as(alice),
            expected_version=built.plan.version,
            name="Three-unit bridge",
        )
    html = client_for(alice).get(_url(practice, built.plan, presentation)).content.decode()
    assert "$2,100.00" in html
    assert "$2,450.00" not in html
    assert "<td>#19</td>" in html
    assert "#18" not in html
    assert "Three-unit bridge" not in html


def test_a_second_presentation_shows_what_changed(practice, presented, maker, alice, client_for):
    built, first = presented
    implant = built.procedures[0][0]
    bridge, filling = built.procedures[1]
    with scope(practice=practice):
        maker.change(built, implant, fee=Decimal("2450.00"))
        maker.change(built, filling, tooth="31", surfaces="O")
        built.plan.refresh_from_db()
        services.option_recommend(
            option=built.options[1], request=request_as(alice), expected_version=built.plan.version
        )
        built.plan.refresh_from_db()
        services.option_update(
            option=built.options[1],
            request=request_as(alice),
            expected_version=built.plan.version,
            name="Three-unit bridge",
        )
        built.plan.refresh_from_db()
        services.procedure_add(
            option=built.options[1],
            phase=built.options[1].phases.get(),
            code=maker.catalog["srp"],
            area="LL",
            request=request_as(alice),
            expected_version=built.plan.version,
        )
        built.plan.refresh_from_db()
        partial = services.option_add(
            plan=built.plan,
            request=request_as(alice),
            expected_version=built.plan.version,
            name="Partial denture",
        )
        built.plan.refresh_from_db()
        services.procedure_add(
            option=partial,
            phase=partial.phases.get(),
            code=maker.catalog["exam"],
            request=request_as(alice),
            expected_version=built.plan.version,
        )
        second = maker.present(built)
    html = client_for(alice).get(_url(practice, built.plan, second)).content.decode()
    assert f"What changed since {first.at:%B} {first.at.day}, {first.at:%Y}" in html
    for text in (
        "<strong>Fee changed</strong> (Implant): D6010 #19 $2,100.00 → $2,450.00",
        "<strong>Tooth or area changed</strong> (Three-unit bridge): D2391 #30 MO → #31 O",
        "<strong>Recommended option</strong>: Implant → Three-unit bridge",
        "<strong>Option renamed</strong>: Bridge → Three-unit bridge",
        "<strong>Added</strong> to Three-unit bridge: D4341 LL",
        "<strong>Option added</strong>: Partial denture ($95.00)",
        "<strong>Option total</strong> (Three-unit bridge): $1,360.00 → $1,620.00",
    ):
        assert text in html, text
    # The first presentation still shows the old fee, and links to the later one.
    old = client_for(alice).get(_url(practice, built.plan, first)).content.decode()
    assert "$2,100.00" in old
    assert "$2,450.00" not in old
    assert _url(practice, built.plan, second) in old


def test_a_presentation_of_an_unchanged_plan_says_nothing_changed(
    practice, presented, maker, alice, client_for
):
    built, _ = presented
    with scope(practice=practice):
        again = maker.present(built, mode="phone")
    html = client_for(alice).get(_url(practice, built.plan, again)).content.decode()
    assert "Nothing: the patient saw the same options, procedures and fees" in html
    assert "Phone" in html


def test_viewing_is_audited(practice, presented, patient, erin, client_for):
    built, presentation = presented
    assert client_for(erin).get(_url(practice, built.plan, presentation)).status_code == 200
    with scopes_disabled():
        event = AuditEvent.objects.get(action="plan.presentation_viewed")
    assert event.actor == erin
    assert event.object_id == str(presentation.pk)
    assert event.patient_id == patient.pk


def test_ids_from_another_plan_or_practice_are_not_found(
    practice, other_practice, presented, maker, alice, charlie, client_for, outsider_patient
):
    built, presentation = presented
    with scope(practice=practice):
        sibling = maker.plan(PatientFactory(practice=practice), *ALTERNATIVES)
    with scope(practice=other_practice):
        theirs_maker = PlanMaker(other_practice, charlie, charlie, make_catalog(other_practice))
        theirs = theirs_maker.plan(outsider_patient, *ALTERNATIVES)
        their_presentation = theirs_maker.present(theirs)
    alice_client = client_for(alice)
    # A real presentation under the wrong plan.
    assert alice_client.get(_url(practice, sibling.plan, presentation)).status_code == 404
    # Another practice's plan and presentation, through our practice's address.
    assert alice_client.get(_url(practice, theirs.plan, their_presentation)).status_code == 404
    # Our presentation, asked for by the other practice's coordinator.
    assert client_for(charlie).get(_url(practice, built.plan, presentation)).status_code == 404
    wrong_door = reverse(
        "overview:presentation", args=[other_practice.slug, built.plan.pk, presentation.pk]
    )
    assert client_for(charlie).get(wrong_door).status_code == 404
