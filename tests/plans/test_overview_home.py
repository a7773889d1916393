"""The coordinator's home: which plans each list holds, their value and age, sorting, scope."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from coordinator.models import AuditEvent
from plans import services
from plans.models import PlannedProcedure, ProcedureStatus
from plans.overview_selectors import Queue, Sort, home_queue, queue_summary
from tests.factories import PatientFactory
from tests.plans.overview_builders import PlanMaker, make_catalog, request_as

IMPLANT_OR_BRIDGE = (
    ("Implant", [("implant", {"tooth": "19"})]),
    ("Bridge", [("bridge", {"tooth": "19"}), ("filling", {"tooth": "30", "surfaces": "MO"})]),
)
CROWN_AND_FILLING = (
    ("Restore", [("crown", {"tooth": "14"}), ("filling", {"tooth": "3", "surfaces": "O"})]),
)


@pytest.fixture
def maker(practice, alice, dave):
    with scope(practice=practice):
        return PlanMaker(practice, alice, dave, make_catalog(practice))


def _queue(practice, queue, **kwargs) -> dict:
    """{patient last name: value} of one home list, in its order."""
    with scope(practice=practice):
        return {
            plan.patient.last_name: plan.value
            for plan in home_queue(practice=practice, queue=queue, **kwargs)
        }


def _patient(practice, name):
    return PatientFactory(practice=practice, first_name="Pat", last_name=name)


def test_a_diagnosed_plan_is_to_present_at_its_recommended_options_live_fees(practice, maker):
    with scope(practice=practice):
        maker.plan(_patient(practice, "Alternatives"), *IMPLANT_OR_BRIDGE)
        maker.plan(_patient(practice, "Draft"), *CROWN_AND_FILLING, diagnose=False)
    assert _queue(practice, Queue.TO_PRESENT) == {"Alternatives": Decimal("2100.00")}
    assert _queue(practice, Queue.UNDECIDED) == {}
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {}


def test_a_presented_plan_is_undecided_at_the_recommended_options_presented_fees(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Shown"), *IMPLANT_OR_BRIDGE)
        maker.present(built)
        # The live fee changes afterwards: the list keeps what the patient saw.
        maker.change(built, built.procedures[0][0], fee=Decimal("2400.00"))
    assert _queue(practice, Queue.TO_PRESENT) == {}
    assert _queue(practice, Queue.UNDECIDED) == {"Shown": Decimal("2100.00")}


def test_the_latest_presentation_counts(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Twice"), *IMPLANT_OR_BRIDGE)
        maker.present(built, at=timezone.now() - datetime.timedelta(days=10))
        maker.change(built, built.procedures[0][0], fee=Decimal("2400.00"))
        maker.present(built)
    assert _queue(practice, Queue.UNDECIDED) == {"Twice": Decimal("2400.00")}


def test_partial_acceptance_splits_the_plan_between_undecided_and_accepted(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Partial"), *CROWN_AND_FILLING)
        maker.present(built)
        maker.decide(built, built.procedures[0][0], "accepted")  # the crown
    assert built.plan.status == "partially_accepted"
    assert _queue(practice, Queue.UNDECIDED) == {"Partial": Decimal("210.00")}
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {"Partial": Decimal("1250.00")}


def test_undecided_value_follows_the_option_the_patient_is_choosing(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Chooser"), *IMPLANT_OR_BRIDGE)
        maker.present(built)
        maker.decide(built, built.procedures[1][0], "accepted")  # the bridge, not the implant
    # What is still open is the bridge option's filling, not the recommended implant.
    assert _queue(practice, Queue.UNDECIDED) == {"Chooser": Decimal("210.00")}
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {"Chooser": Decimal("1150.00")}


def test_deferred_work_is_still_undecided_and_declined_work_is_not(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Later"), *CROWN_AND_FILLING)
        maker.present(built)
        maker.decide(built, built.procedures[0][0], "deferred", reason="waiting_for_benefits")
        maker.decide(built, built.procedures[0][1], "declined", reason="cost")
    assert built.plan.status == "presented"
    assert _queue(practice, Queue.UNDECIDED) == {"Later": Decimal("1250.00")}


def test_accepting_the_second_option_moves_the_plan_to_accepted_not_scheduled(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Bridge"), *IMPLANT_OR_BRIDGE)
        maker.present(built)
        maker.accept_option(built, 1)
    assert built.plan.status == "accepted"
    assert _queue(practice, Queue.UNDECIDED) == {}
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {"Bridge": Decimal("1360.00")}


def test_scheduled_and_completed_work_leave_accepted_not_scheduled(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Busy"), *CROWN_AND_FILLING)
        maker.present(built)
        maker.accept_option(built, 0)
        crown, filling = built.procedures[0]
        # Completed work counts as accepted: it is not waiting for an appointment.
        maker.complete(built, crown)
    assert built.plan.status == "in_treatment"
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {"Busy": Decimal("210.00")}
    with scope(practice=practice):
        PlannedProcedure.objects.filter(pk=filling.pk).update(status=ProcedureStatus.SCHEDULED)
        services.plan_refresh_status(built.plan)
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {}


def test_completed_work_without_a_recorded_acceptance_chooses_the_option(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Done"), *IMPLANT_OR_BRIDGE)
        maker.present(built)
        maker.complete(built, built.procedures[1][0])  # the bridge, never formally accepted
        maker.decide(built, built.procedures[1][1], "accepted")
    assert built.plan.status == "in_treatment"
    # The bridge option is the chosen one: its accepted filling waits; the implant is not counted.
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {"Done": Decimal("210.00")}
    assert _queue(practice, Queue.UNDECIDED) == {}


def test_accepted_work_counts_at_the_fee_the_patient_saw(practice, maker):
    with scope(practice=practice):
        built = maker.plan(_patient(practice, "Repriced"), *CROWN_AND_FILLING)
        maker.present(built)
        maker.accept_option(built, 0)
        maker.change(built, built.procedures[0][0], fee=Decimal("1400.00"))
        # Work added after the presentation was never shown: it counts at its own fee.
        built.plan.refresh_from_db()
        added = services.procedure_add(
            option=built.options[0],
            phase=built.options[0].phases.get(),
            code=maker.catalog["exam"],
            request=request_as(maker.user),
            expected_version=built.plan.version,
        )
        maker.decide(built, added, "accepted")
        unshown = maker.plan(_patient(practice, "Unshown"), *CROWN_AND_FILLING)
        maker.accept_option(unshown, 0)  # accepted on the spot, never formally presented
    assert _queue(practice, Queue.ACCEPTED_UNSCHEDULED) == {
        "Repriced": Decimal("1555.00"),  # 1250 + 210 as shown, 95 never shown
        "Unshown": Decimal("1460.00"),
    }


def test_closed_plans_are_on_no_list(practice, maker):
    with scope(practice=practice):
        to_present = maker.plan(_patient(practice, "A"), *CROWN_AND_FILLING)
        partial = maker.plan(_patient(practice, "B"), *CROWN_AND_FILLING)
        maker.present(partial)
        maker.decide(partial, partial.procedures[0][0], "accepted")
        for built in (to_present, partial):
            services.plan_close(plan=built.plan, request=None, reason="abandoned")
    for queue in Queue:
        assert _queue(practice, queue) == {}


def test_lists_sort_by_value_and_by_age_and_total_the_whole_list(practice, maker):
    start = timezone.now() - datetime.timedelta(days=30)
    with scope(practice=practice):
        for days, name, options in (
            (0, "Oldest", CROWN_AND_FILLING),  # 1460
            (10, "Middle", IMPLANT_OR_BRIDGE),  # 2100
            (20, "Newest", (("Exam", [("exam", {})]),)),  # 95
        ):
            with time_machine.travel(start + datetime.timedelta(days=days), tick=False):
                maker.plan(_patient(practice, name), *options)
    assert list(_queue(practice, Queue.TO_PRESENT, sort=Sort.VALUE_DESC)) == [
        "Middle",
        "Oldest",
        "Newest",
    ]
    assert list(_queue(practice, Queue.TO_PRESENT, sort=Sort.VALUE_ASC)) == [
        "Newest",
        "Oldest",
        "Middle",
    ]
    assert list(_queue(practice, Queue.TO_PRESENT, sort=Sort.AGE_DESC)) == [
        "Oldest",
        "Middle",
        "Newest",
    ]
    assert list(_queue(practice, Queue.TO_PRESENT, sort=Sort.AGE_ASC)) == [
        "Newest",
        "Middle",
        "Oldest",
    ]
    with scope(practice=practice):
        summary = queue_summary(home_queue(practice=practice, queue=Queue.TO_PRESENT))
    assert summary == {"count": 3, "total": Decimal("3655.00")}


def test_the_page_shows_values_ages_totals_and_sort_links(practice, maker, alice, client_for):
    start = timezone.now() - datetime.timedelta(days=12)
    with scope(practice=practice):
        with time_machine.travel(start, tick=False):
            maker.plan(_patient(practice, "Ortega"), *CROWN_AND_FILLING)
        maker.plan(_patient(practice, "Baker"), *IMPLANT_OR_BRIDGE)
    url = reverse("overview:home", args=[practice.slug])
    page = client_for(alice).get(url, {"sort": "-age", "scope": "practice"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("Ortega, Pat") < html.index("Baker, Pat")
    assert "12 days" in html
    assert "$1,460.00" in html
    assert "$3,560.00" in html  # the list's total
    assert "Total of 2 plans" in html
    assert 'href="?sort=age&amp;scope=practice"' in html  # click again: newest first
    assert 'href="?sort=-value&amp;scope=practice"' in html

    by_value = client_for(alice).get(url, {"sort": "-value", "scope": "practice"}).content.decode()
    assert by_value.index("Baker, Pat") < by_value.index("Ortega, Pat")


def test_htmx_sorting_answers_the_lists_only(practice, maker, alice, client_for):
    with scope(practice=practice):
        maker.plan(_patient(practice, "Ortega"), *CROWN_AND_FILLING)
    response = client_for(alice).get(
        reverse("overview:home", args=[practice.slug]),
        {"sort": "value"},
        headers={"HX-Request": "true", "HX-Target": "home-lists"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="home-lists"')
    assert "<html" not in html
    assert "Ortega, Pat" in html


def test_mine_is_what_i_presented_last_and_every_plan_still_to_present(
    practice, maker, alice, bob, client_for
):
    with scope(practice=practice):
        mine = maker.plan(_patient(practice, "Mine"), *CROWN_AND_FILLING)
        maker.present(mine, by=alice)
        theirs = maker.plan(_patient(practice, "Theirs"), *CROWN_AND_FILLING)
        maker.present(theirs, by=bob)
        taken_over = maker.plan(_patient(practice, "TakenOver"), *CROWN_AND_FILLING)
        maker.present(taken_over, by=bob, at=timezone.now() - datetime.timedelta(days=3))
        maker.present(taken_over, by=alice)
        accepted = maker.plan(_patient(practice, "AcceptedMine"), *CROWN_AND_FILLING)
        maker.present(accepted, by=alice)
        maker.accept_option(accepted, 0)
        maker.plan(_patient(practice, "Unpresented"), *CROWN_AND_FILLING)

    assert set(_queue(practice, Queue.UNDECIDED, mine=alice)) == {"Mine", "TakenOver"}
    assert set(_queue(practice, Queue.UNDECIDED, mine=bob)) == {"Theirs"}
    assert set(_queue(practice, Queue.UNDECIDED)) == {"Mine", "Theirs", "TakenOver"}
    assert set(_queue(practice, Queue.ACCEPTED_UNSCHEDULED, mine=alice)) == {"AcceptedMine"}
    assert set(_queue(practice, Queue.ACCEPTED_UNSCHEDULED, mine=bob)) == set()
    assert set(_queue(practice, Queue.TO_PRESENT, mine=bob)) == {"Unpresented"}

    url = reverse("overview:home", args=[practice.slug])
    # A coordinator starts on her own plans; the toggle shows the whole practice.
    html = client_for(alice).get(url).content.decode()
    assert "Mine, Pat" in html
    assert "Theirs, Pat" not in html
    assert "Unpresented, Pat" in html
    assert 'aria-current="page">Mine<' in html
    html = client_for(alice).get(url, {"scope": "practice"}).content.decode()
    assert "Theirs, Pat" in html
    # An office manager starts on the whole practice.
    assert "Theirs, Pat" in client_for(bob).get(url).content.decode()


def test_the_practice_root_opens_the_home(practice, alice, client_for):
    response = client_for(alice).get(reverse("practice_home", args=[practice.slug]))
    assert response["Location"] == reverse("overview:home", args=[practice.slug])


def test_the_home_is_audited_without_patient_details(practice, maker, alice, client_for):
    with scope(practice=practice):
        maker.plan(_patient(practice, "Ortega"), *CROWN_AND_FILLING)
    client_for(alice).get(reverse("overview:home", args=[practice.slug]))
    with scopes_disabled():
        event = AuditEvent.objects.get(action="plans.home_viewed")
    assert event.actor == alice
    assert event.detail == {"scope": "mine", "shown": 1}


def test_other_practices_plans_never_show(practice, other_practice, maker, charlie, client_for):
    with scope(practice=practice):
        maker.plan(_patient(practice, "Ours"), *CROWN_AND_FILLING)
    html = client_for(charlie).get(reverse("overview:home", args=[other_practice.slug]))
    assert "Ours, Pat" not in html.content.decode()
    assert (
        client_for(charlie).get(reverse("overview:home", args=[practice.slug])).status_code == 404
    )


def _seed(practice, maker, alice, start, stop):
    """Plans on every list: to present, undecided (partly accepted) and accepted."""
    for n in range(start, stop):
        patient = _patient(practice, f"Seeded{n:02d}")
        built = maker.plan(patient, *IMPLANT_OR_BRIDGE)
        if n % 3 == 0:
            continue
        maker.present(built, by=alice)
        if n % 3 == 1:
            maker.decide(built, built.procedures[1][0], "accepted")
        else:
            maker.accept_option(built, 0)


@pytest.mark.parametrize("scope_name", ["mine", "practice"])
def test_query_count_does_not_grow_with_plans(
    scope_name, practice, maker, alice, client_for, django_assert_num_queries
):
    url = reverse("overview:home", args=[practice.slug])
    client = client_for(alice)
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url)
        with scope(practice=practice):
            _seed(practice, maker, alice, 0, 1)
        with CaptureQueriesContext(connection) as one:
            small = client.get(url, {"scope": scope_name})
        assert small.status_code == 200
        assert len(one) <= 12, "\n".join(q["sql"] for q in one.captured_queries)
        with scope(practice=practice):
            _seed(practice, maker, alice, 1, 25)
        with django_assert_num_queries(len(one)):
            large = client.get(url, {"scope": scope_name})
    # 9 to present, 8 partly accepted (undecided and accepted), 8 accepted.
    assert large.content.decode().count(", Pat</a>") == 9 + 8 + 16
