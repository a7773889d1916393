"""The follow-up queue: which calls each person sees, in what order, and logging their outcome."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from coordinator.roles import ROLE_CAPABILITIES, Capability, Role
from plans import followup_services, services
from plans.followup_models import (
    Channel,
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Touch,
    TouchOutcome,
)
from plans.models import PlanStatus, ProcedureStatus
from plans.queue_selectors import QueueSort, Tab, queue_calls
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    UserFactory,
    confirmed_totp_device,
)
from tests.plans.overview_builders import PlanMaker, make_catalog, request_as

CROWN = (("Restore", [("crown", {"tooth": "14"}), ("filling", {"tooth": "3", "surfaces": "O"})]),)
EXAM = (("Check", [("exam", {})]),)
HTMX = {"HTTP_HX_REQUEST": "true"}
# Queries of the queue page, whatever the number of calls (measured: 7 for a coordinator, 8 for
# a manager, who also gets the staff list for the filter).
BUDGET = 8


@pytest.fixture
def maker(practice, alice, dave):
    with scope(practice=practice):
        return PlanMaker(practice, alice, dave, make_catalog(practice))


def presented(maker, last_name, *, days_ago=3, by=None, options=CROWN):
    """A plan presented `days_ago` days ago (its first call falls due two days after), and
    that call."""
    with scope(practice=maker.practice):
        patient = PatientFactory(practice=maker.practice, first_name="Pat", last_name=last_name)
        built = maker.plan(patient, *options)
        maker.present(built, by=by, at=timezone.now() - datetime.timedelta(days=days_ago))
        call = Reminder.objects.get(
            plan=built.plan, channel=Channel.CALL, kind=ReminderKind.STEP, step_number=1
        )
    return built, call


def _queue_url(practice, **query) -> str:
    url = reverse("follow_ups:queue", args=[practice.slug])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def _outcome_url(practice, call) -> str:
    return reverse("follow_ups:call_outcome", args=[practice.slug, call.pk])


def _names(practice, **kwargs) -> list[str]:
    with scope(practice=practice):
        return [call.plan.patient.last_name for call in queue_calls(practice=practice, **kwargs)]


def _refresh(practice, *rows):
    with scopes_disabled():
        for row in rows:
            row.refresh_from_db()


# --- What the queue shows --------------------------------------------------------------------


def test_a_coordinator_sees_their_calls_due_today_and_overdue(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    presented(maker, "Later", days_ago=0)  # first call in two days: upcoming

    response = client_for(alice).get(_queue_url(practice))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="call-{call.pk}"' in page
    assert reverse("patients:detail", args=[practice.slug, built.plan.patient_id]) in page
    assert reverse("plans:detail", args=[practice.slug, built.plan.pk]) in page
    assert "$1,460.00" in page  # crown and filling, as presented
    assert "1 day overdue" in page
    assert "Call 1 of 3" in page
    assert "Later" not in page
    assert 'Today <span class="badge">1</span>' in page
    assert 'Upcoming <span class="badge">1</span>' in page


def test_upcoming_lists_the_next_seven_days(client_for, practice, alice, maker):
    presented(maker, "Gomez")
    _, soon = presented(maker, "Soon", days_ago=0)
    # Presented 10 days from now would be too far; a call-back in 20 days is too.
    with scope(practice=practice):
        Reminder.objects.create(
            practice=practice,
            plan=soon.plan,
            follow_up=soon.follow_up,
            kind=ReminderKind.CALL_BACK,
            channel=Channel.CALL,
            due_at=timezone.now() + datetime.timedelta(days=20),
            assigned_to=alice,
        )
    page = client_for(alice).get(_queue_url(practice, tab="upcoming")).content.decode()
    assert f'id="call-{soon.pk}"' in page
    assert "Gomez" not in page
    assert page.count('<tbody id="call-') == 1


def test_each_coordinator_sees_only_their_own_calls(client_for, practice, alice, maker):
    colleague = UserFactory(name="Carla Colleague")
    MembershipFactory(user=colleague, practice=practice, role=Role.COORDINATOR)
    presented(maker, "Mine")
    presented(maker, "Theirs", by=colleague)

    assert _names(practice, assignee=alice) == ["Mine"]
    page = client_for(alice).get(_queue_url(practice, who="")).content.decode()
    assert "Mine" in page
    assert "Theirs" not in page


def test_calls_are_sorted_by_value_then_engagement(practice, alice, maker):
    small, _ = presented(maker, "Small", options=EXAM)
    big, _ = presented(maker, "Big")
    also_big, _ = presented(maker, "AlsoBig")
    with scope(practice=practice):
        # AlsoBig's patient answered the phone yesterday: engaged, so first among equals.
        followup_services.touch_record(
            plan=also_big.plan,
            channel=Channel.CALL,
            outcome=TouchOutcome.REACHED,
            by=alice,
            at=timezone.now() - datetime.timedelta(days=1),
        )
    assert _names(practice, assignee=alice) == ["AlsoBig", "Big", "Small"]
    assert _names(practice, assignee=alice, sort=QueueSort.ENGAGEMENT) == [
        "AlsoBig",
        "Big",
        "Small",
    ]
    with scope(practice=practice):
        followup_services.touch_record(
            plan=small.plan,
            channel=Channel.EMAIL,
            outcome=TouchOutcome.REACHED,
            by=alice,
        )
    # By engagement, the patient reached a moment ago comes first, whatever the value.
    assert _names(practice, assignee=alice, sort=QueueSort.ENGAGEMENT) == [
        "Small",
        "AlsoBig",
        "Big",
    ]
    assert _names(practice, assignee=alice) == ["AlsoBig", "Big", "Small"]


def test_the_row_shows_the_last_touch_and_the_suggestion(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    with scope(practice=practice):
        followup_services.touch_record(
            plan=built.plan, channel=Channel.EMAIL, outcome=TouchOutcome.SENT, by=None
        )
        FollowUp.objects.filter(pk=call.follow_up_id).update(suggestion="Send the second link")
    page = client_for(alice).get(_queue_url(practice)).content.decode()
    assert "Sent (email)" in page
    assert "Send the second link" in page


def test_the_navigation_badge_counts_my_calls_due_today(client_for, practice, alice, maker):
    presented(maker, "One")
    presented(maker, "Two")
    presented(maker, "Later", days_ago=0)
    response = client_for(alice).get(reverse("follow_ups:badge", args=[practice.slug]), **HTMX)
    assert response.status_code == 200
    assert b">2<" in response.content
    # Every page's navigation loads it after the page, so pages keep their own query budget.
    page = client_for(alice).get(reverse("overview:home", args=[practice.slug])).content.decode()
    assert reverse("follow_ups:badge", args=[practice.slug]) in page


def test_the_dentist_has_no_queue_in_the_navigation(client_for, practice, dave):
    page = client_for(dave).get(reverse("overview:home", args=[practice.slug])).content.decode()
    assert reverse("follow_ups:queue", args=[practice.slug]) not in page
    assert client_for(dave).get(_queue_url(practice)).status_code == 403


def test_the_roles_that_work_and_manage_the_queue():
    def roles_with(capability):
        return {role for role, caps in ROLE_CAPABILITIES.items() if capability in caps}

    assert roles_with(Capability.FOLLOW_UPS_WORK) == {
        Role.COORDINATOR,
        Role.FRONT_DESK,
        Role.OFFICE_MANAGER,
        Role.OWNER,
    }
    assert roles_with(Capability.FOLLOW_UPS_MANAGE) == {Role.OFFICE_MANAGER, Role.OWNER}


# --- Logging an outcome in two clicks ------------------------------------------------------------


def test_the_first_click_opens_the_outcome_form_in_the_row(client_for, practice, alice, maker):
    _, call = presented(maker, "Gomez")
    response = client_for(alice).get(_outcome_url(practice, call), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<tbody id="call-{call.pk}"')
    for outcome in ("reached", "voicemail", "no_answer", "accepted", "declined", "call_back"):
        assert f'name="outcome" value="{outcome}"' in page
    assert 'type="date"' in page
    # Without JavaScript the same URL is a page of its own.
    plain = client_for(alice).get(_outcome_url(practice, call))
    assert b"<h1>Call to Pat Gomez</h1>" in plain.content


def test_the_second_click_logs_voicemail_and_the_row_leaves(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    response = client_for(alice).post(
        _outcome_url(practice, call),
        {"outcome": "voicemail"},
        HTTP_HX_CURRENT_URL=f"http://testserver{_queue_url(practice)}",
        **HTMX,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<tbody" not in page  # the row is replaced by nothing
    assert 'id="queue-notice"' in page
    assert "Gomez: voicemail logged." in page
    assert 'Today <span class="badge">0</span>' in page
    _refresh(practice, call)
    assert call.status == ReminderStatus.DONE
    with scopes_disabled():
        touch = Touch.objects.get(reminder=call)
        assert (touch.outcome, touch.channel, touch.by) == ("voicemail", "call", alice)
        # A voicemail does not stop the follow-up: the next steps stay scheduled.
        assert FollowUp.objects.get(pk=call.follow_up_id).status == FollowUpStatus.ACTIVE
    assert _names(practice, assignee=alice) == []


def test_a_double_click_changes_nothing_and_says_so(client_for, practice, alice, maker):
    _, call = presented(maker, "Gomez")
    client = client_for(alice)
    client.post(_outcome_url(practice, call), {"outcome": "no_answer"}, **HTMX)

    again = client.post(_outcome_url(practice, call), {"outcome": "reached"}, **HTMX)
    assert again.status_code == 200
    assert "already logged (no answer, by Alice Coordinator): nothing was changed" in (
        again.content.decode()
    )
    plain = client.post(_outcome_url(practice, call), {"outcome": "reached"}, follow=True)
    assert "already logged" in plain.content.decode()
    with scopes_disabled():
        assert Touch.objects.filter(plan=call.plan_id).count() == 1
        assert Touch.objects.get(plan=call.plan_id).outcome == "no_answer"


def test_without_javascript_logging_redirects_to_the_queue(client_for, practice, alice, maker):
    _, call = presented(maker, "Gomez")
    response = client_for(alice).post(_outcome_url(practice, call), {"outcome": "reached"})
    assert response.status_code == 302
    assert response["Location"] == _queue_url(practice)
    _refresh(practice, call)
    assert call.status == ReminderStatus.DONE


def test_call_back_on_a_date_books_a_call_in_upcoming(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    with timezone.override(practice.tzinfo):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(alice).post(
        _outcome_url(practice, call),
        {"outcome": "call_back", "call_back_on": tomorrow.isoformat(), "note": "After 5pm"},
        **HTMX,
    )
    assert response.status_code == 200
    assert f"Gomez: call back on {tomorrow:%a %b %-d}." in response.content.decode()
    with scopes_disabled():
        call_back = Reminder.objects.get(plan=built.plan, kind=ReminderKind.CALL_BACK)
        assert Touch.objects.get(reminder=call).outcome == TouchOutcome.REACHED
    assert call_back.assigned_to == alice
    assert call_back.due_at.astimezone(practice.tzinfo).date() == tomorrow
    assert _names(practice, assignee=alice, tab=Tab.UPCOMING) == ["Gomez"]
    page = client_for(alice).get(_queue_url(practice, tab="upcoming")).content.decode()
    assert "Call back" in page
    assert "After 5pm" in page


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"outcome": "call_back"}, "Pick the day to call back."),
        ({"outcome": "call_back", "call_back_on": "2001-01-01"}, "That day has passed"),
        ({"outcome": "call_back", "call_back_on": "tomorrow"}, "Enter a date such as"),
        ({"outcome": "declined"}, "Say why: the reason decides the next follow-up."),
        ({"outcome": "declined", "reason": "money"}, "Select a valid choice"),
        ({"outcome": "shouted"}, "Select a valid choice"),
        ({}, "Pick what happened on the call."),
        ({"outcome": "reached", "note": "x" * 501}, "at most 500 characters"),
    ],
)
def test_bad_input_answers_422_and_changes_nothing(
    client_for, practice, alice, maker, data, field_error
):
    built, call = presented(maker, "Gomez")
    for headers in (HTMX, {}):
        response = client_for(alice).post(_outcome_url(practice, call), data, **headers)
        assert response.status_code == 422
        assert field_error in response.content.decode()
    _refresh(practice, call, built.plan)
    assert call.status == ReminderStatus.PENDING
    assert built.plan.status == PlanStatus.PRESENTED
    with scopes_disabled():
        assert not Touch.objects.filter(plan=built.plan).exists()
        assert Reminder.objects.filter(plan=built.plan).count() == 3


def test_accepted_records_the_decision_and_stops_the_follow_up(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    response = client_for(alice).post(_outcome_url(practice, call), {"outcome": "accepted"}, **HTMX)
    assert response.status_code == 200
    assert "The plan is accepted." in response.content.decode()
    _refresh(practice, built.plan, call)
    assert built.plan.status == PlanStatus.ACCEPTED
    with scopes_disabled():
        follow_up = FollowUp.objects.get(pk=call.follow_up_id)
        assert follow_up.status == FollowUpStatus.STOPPED
        assert set(
            Reminder.objects.filter(follow_up=follow_up)
            .exclude(pk=call.pk)
            .values_list("status", flat=True)
        ) == {ReminderStatus.CANCELLED}
        assert Touch.objects.get(reminder=call).outcome == TouchOutcome.REACHED


def test_declined_with_a_reason_declines_the_open_work(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    response = client_for(alice).post(
        _outcome_url(practice, call), {"outcome": "declined", "reason": "cost"}, **HTMX
    )
    assert response.status_code == 200
    _refresh(practice, built.plan)
    assert built.plan.status == PlanStatus.DECLINED
    with scopes_disabled():
        decisions = {
            (p.status, p.decisions.get().reason) for p in built.plan.options.get().procedures.all()
        }
        assert decisions == {(ProcedureStatus.DECLINED, "cost")}
        assert FollowUp.objects.get(pk=call.follow_up_id).status == FollowUpStatus.STOPPED


def test_not_now_defers_and_keeps_following_up(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    response = client_for(alice).post(
        _outcome_url(practice, call), {"outcome": "deferred", "reason": "co_decider"}, **HTMX
    )
    assert response.status_code == 200
    with scopes_disabled():
        active = FollowUp.objects.get(plan=built.plan, status=FollowUpStatus.ACTIVE)
    assert active.suggestion == "Send the second link"


def test_a_refused_decision_rolls_the_touch_back(client_for, practice, alice, maker):
    built, call = presented(maker, "Gomez")
    with scope(practice=practice):
        # The plan was closed while the call stayed pending (closing normally cancels it).
        built.plan.refresh_from_db()
        services.plan_close(plan=built.plan, request=request_as(alice), reason="abandoned")
        Reminder.objects.filter(pk=call.pk).update(status=ReminderStatus.PENDING)
    response = client_for(alice).post(_outcome_url(practice, call), {"outcome": "accepted"}, **HTMX)
    assert response.status_code == 422
    assert "This plan is closed: reopen it first." in response.content.decode()
    _refresh(practice, call)
    assert call.status == ReminderStatus.PENDING
    with scopes_disabled():
        assert not Touch.objects.filter(plan=built.plan).exists()


def test_front_desk_logs_calls_but_not_decisions(client_for, practice, erin, alice, maker):
    built, call = presented(maker, "Gomez")
    form = client_for(erin).get(_outcome_url(practice, call), **HTMX).content.decode()
    assert 'value="voicemail"' in form
    assert 'value="accepted"' not in form
    refused = client_for(erin).post(_outcome_url(practice, call), {"outcome": "accepted"})
    assert refused.status_code == 422
    assert "Your role cannot record the patient&#x27;s decision" in refused.content.decode()
    _refresh(practice, call, built.plan)
    assert (call.status, built.plan.status) == (ReminderStatus.PENDING, PlanStatus.PRESENTED)

    logged = client_for(erin).post(_outcome_url(practice, call), {"outcome": "no_answer"})
    assert logged.status_code == 302
    with scopes_disabled():
        assert Touch.objects.get(reminder=call).by == erin
    assert (
        client_for(erin).get(reverse("follow_ups:cadences", args=[practice.slug])).status_code
        == 403
    )


def test_a_cancelled_call_is_no_longer_due(client_for, practice, alice, maker):
    _, call = presented(maker, "Gomez")
    with scopes_disabled():
        Reminder.objects.filter(pk=call.pk).update(status=ReminderStatus.CANCELLED)
    response = client_for(alice).post(_outcome_url(practice, call), {"outcome": "reached"}, **HTMX)
    assert "This call is no longer due (cancelled): nothing was changed." in (
        response.content.decode()
    )


# --- Managers: the whole team, and reassigning -------------------------------------------------


def test_a_manager_sees_the_whole_team_and_filters_by_person(
    client_for, practice, alice, bob, erin, maker
):
    colleague = UserFactory(name="Carla Colleague")
    MembershipFactory(user=colleague, practice=practice, role=Role.COORDINATOR)
    _, mine = presented(maker, "Alices")
    _, theirs = presented(maker, "Carlas", by=colleague)

    page = client_for(bob).get(_queue_url(practice)).content.decode()
    assert "Alices" in page
    assert "Carlas" in page
    assert '<th scope="col">Caller</th>' in page
    assert "Carla Colleague" in page
    assert 'value="' + str(erin.pk) + '"' in page

    filtered = client_for(bob).get(_queue_url(practice, who=colleague.pk)).content.decode()
    assert "Carlas" in filtered
    assert "Alices" not in filtered
    own = client_for(bob).get(_queue_url(practice, who="me")).content.decode()
    assert "Carlas" not in own
    assert "Alices" not in own


def test_a_manager_reassigns_one_call(client_for, practice, alice, bob, erin, maker):
    _, call = presented(maker, "Gomez")
    url = reverse("follow_ups:call_reassign", args=[practice.slug, call.pk])
    opened = client_for(bob).get(url, **HTMX).content.decode()
    assert "The whole follow-up" in opened

    response = client_for(bob).post(url, {"to": str(erin.pk)}, **HTMX)
    assert response.status_code == 200
    assert "this call is now Erin Front Desk&#x27;s" in response.content.decode()
    _refresh(practice, call)
    assert call.assigned_to == erin
    assert _names(practice, assignee=erin) == ["Gomez"]
    with scopes_disabled():
        assert FollowUp.objects.get(pk=call.follow_up_id).owner == alice  # only the call moved


def test_a_manager_reassigns_a_whole_follow_up(client_for, practice, alice, bob, erin, maker):
    built, call = presented(maker, "Gomez")
    url = reverse("follow_ups:follow_up_reassign", args=[practice.slug, call.follow_up_id])
    response = client_for(bob).post(url, {"to": str(erin.pk), "call": str(call.pk)}, **HTMX)
    assert response.status_code == 200
    assert "the follow-up is now Erin Front Desk&#x27;s (1 call moved)" in response.content.decode()
    with scopes_disabled():
        follow_up = FollowUp.objects.get(pk=call.follow_up_id)
        assert follow_up.owner == erin
        assert Reminder.objects.get(pk=call.pk).assigned_to == erin
    plain = client_for(bob).post(url, {"to": str(alice.pk)})
    assert plain.status_code == 302


def test_reassigning_to_someone_outside_the_queue_is_refused(
    client_for, practice, alice, bob, dave, charlie, maker
):
    _, call = presented(maker, "Gomez")
    url = reverse("follow_ups:call_reassign", args=[practice.slug, call.pk])
    for to in (dave.pk, charlie.pk, "nobody"):
        response = client_for(bob).post(url, {"to": str(to)})
        assert response.status_code == 422
        assert "Select a valid choice" in response.content.decode()
    _refresh(practice, call)
    assert call.assigned_to == alice


def test_coordinators_and_front_desk_cannot_reassign(client_for, practice, alice, erin, maker):
    _, call = presented(maker, "Gomez")
    url = reverse("follow_ups:call_reassign", args=[practice.slug, call.pk])
    for user in (alice, erin):
        assert client_for(user).post(url, {"to": str(erin.pk)}).status_code == 403
    _refresh(practice, call)
    assert call.assigned_to == alice


# --- Tenancy -----------------------------------------------------------------------------------


def test_another_practices_staff_get_404_for_every_object(
    client_for, practice, other_practice, alice, charlie, maker
):
    """Charlie works at Bright South: Smile North's calls and follow-ups are not found there."""
    _, call = presented(maker, "Gomez")
    slug = other_practice.slug
    urls = [
        reverse("follow_ups:call_outcome", args=[slug, call.pk]),
        reverse("follow_ups:call_reassign", args=[slug, call.pk]),
        reverse("follow_ups:follow_up_reassign", args=[slug, call.follow_up_id]),
    ]
    with scopes_disabled():
        # A manager there: the most a role can do.
        charlie.memberships.update(role=Role.OFFICE_MANAGER)
        confirmed_totp_device(charlie)
    for url in urls:
        assert client_for(charlie).get(url).status_code == 404, url
        assert client_for(charlie).post(url, {"outcome": "reached"}).status_code == 404, url
    _refresh(practice, call)
    assert call.status == ReminderStatus.PENDING


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["alice", "bob"])
def test_the_queue_runs_the_same_queries_for_1_and_30_calls(
    request, client_for, practice, alice, bob, erin, maker, django_assert_max_num_queries, viewer
):
    user = request.getfixturevalue(viewer)
    client = client_for(user)
    url = _queue_url(practice)
    # A frozen clock: the session's activity stamp is written by the first request only.
    with time_machine.travel(timezone.now(), tick=False):
        presented(maker, "Patient00")
        client.get(url)

        def count() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            return len(queries), response.content.decode().count('<tbody id="call-')

        with django_assert_max_num_queries(BUDGET):
            one, rows = count()
        assert rows == 1
        for n in range(1, 30):
            built, _ = presented(maker, f"Patient{n:02d}")
            with scope(practice=practice):
                followup_services.touch_record(
                    plan=built.plan, channel=Channel.CALL, outcome=TouchOutcome.REACHED, by=alice
                )
        with django_assert_max_num_queries(BUDGET):
            thirty, rows = count()
    assert rows == 30
    assert thirty == one
