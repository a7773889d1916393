"""The plans list: every plan with its status and value, filtered by status, dentist and name."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django_scopes import scope

from plans import services
from plans.models import PlannedProcedure, PlanStatus, ProcedureStatus
from plans.overview_selectors import plan_list
from tests.factories import MembershipFactory, PatientFactory, UserFactory
from tests.plans.overview_builders import PlanMaker, make_catalog

TWO_PROCEDURES = (
    ("Restore", [("crown", {"tooth": "14"}), ("filling", {"tooth": "3", "surfaces": "O"})]),
)
ALTERNATIVES = (
    ("Implant", [("implant", {"tooth": "19"})]),
    ("Bridge", [("bridge", {"tooth": "19"}), ("filling", {"tooth": "30", "surfaces": "MO"})]),
)


@pytest.fixture
def maker(practice, alice, dave):
    with scope(practice=practice):
        return PlanMaker(practice, alice, dave, make_catalog(practice))


def _patient(practice, name):
    return PatientFactory(practice=practice, first_name="Pat", last_name=name)


def _build_in_status(practice, maker, status: str):
    """A plan of a patient named after `status`, brought there through the services."""
    built = maker.plan(
        _patient(practice, status.title().replace("_", "")),
        *TWO_PROCEDURES,
        diagnose=status != PlanStatus.DRAFT,
    )
    crown, filling = built.procedures[0]
    if status in (PlanStatus.DRAFT, PlanStatus.DIAGNOSED):
        return built
    if status == PlanStatus.CLOSED:
        services.plan_close(plan=built.plan, request=None, reason="expired")
        return built.refresh()
    maker.present(built)
    if status == PlanStatus.PARTIALLY_ACCEPTED:
        maker.decide(built, crown, "accepted")
    elif status == PlanStatus.DECLINED:
        maker.decide(built, crown, "declined", reason="cost")
        maker.decide(built, filling, "declined", reason="cost")
    elif status != PlanStatus.PRESENTED:
        maker.accept_option(built, 0)
    if status == PlanStatus.SCHEDULED:
        PlannedProcedure.objects.filter(pk=crown.pk).update(status=ProcedureStatus.SCHEDULED)
        services.plan_refresh_status(built.plan)
    elif status == PlanStatus.IN_TREATMENT:
        maker.complete(built, crown)
    elif status == PlanStatus.COMPLETED:
        maker.complete(built, crown)
        maker.complete(built, filling)
    return built.refresh()


@pytest.fixture
def every_status(practice, maker):
    with scope(practice=practice):
        built = {status: _build_in_status(practice, maker, status) for status in PlanStatus}
    assert {status: b.plan.status for status, b in built.items()} == {s: s for s in PlanStatus}
    return built


def _names(response) -> set[str]:
    html = response.content.decode()
    return {
        name
        for name in (s.title().replace("_", "") for s in PlanStatus)
        if f">{name}, Pat</a>" in html
    }


def test_every_plan_is_listed_with_its_status_badge(practice, every_status, alice, client_for):
    response = client_for(alice).get(reverse("overview:plans", args=[practice.slug]))
    html = response.content.decode()
    assert _names(response) == {s.title().replace("_", "") for s in PlanStatus}
    for status in PlanStatus:
        assert f'class="badge status status-{status.value}">{status.label}</span>' in html
    assert "10 plans" in html


def test_the_status_filter_shows_each_status_only(practice, every_status, alice, client_for):
    # One loop rather than ten tests: building a plan in every status is the slow part.
    url = reverse("overview:plans", args=[practice.slug])
    for status in PlanStatus:
        response = client_for(alice).get(url, {"status": status.value})
        assert _names(response) == {status.title().replace("_", "")}, status
        assert f'<option value="{status.value}" selected>' in response.content.decode()


def test_several_statuses_and_nonsense_statuses(practice, every_status, alice, client_for):
    url = reverse("overview:plans", args=[practice.slug])
    both = client_for(alice).get(url, {"status": ["presented", "partially_accepted"]})
    assert _names(both) == {"Presented", "PartiallyAccepted"}
    # An unknown status is ignored rather than emptying the list or failing.
    assert len(_names(client_for(alice).get(url, {"status": "bogus"}))) == 10


def test_filter_by_dentist_and_search_by_patient_name(practice, maker, alice, client_for):
    other_dentist = UserFactory(name="Zoe Dentist")
    MembershipFactory(user=other_dentist, practice=practice, role="dentist")
    with scope(practice=practice):
        maker.plan(_patient(practice, "Daves"), *TWO_PROCEDURES)
        maker.plan(_patient(practice, "Zoes"), *TWO_PROCEDURES, dentist=other_dentist)
        maker.plan(
            PatientFactory(practice=practice, first_name="Marisol", last_name="Quintero"),
            *TWO_PROCEDURES,
        )
    url = reverse("overview:plans", args=[practice.slug])
    client = client_for(alice)
    by_zoe = client.get(url, {"dentist": str(other_dentist.pk)}).content.decode()
    assert "Zoes, Pat" in by_zoe
    assert "Daves, Pat" not in by_zoe
    assert f'<option value="{other_dentist.pk}" selected>Zoe Dentist</option>' in by_zoe
    # An unknown dentist or a malformed id is ignored.
    assert "Daves, Pat" in client.get(url, {"dentist": "not-a-uuid"}).content.decode()
    found = client.get(url, {"q": "quin mari"}).content.decode()
    assert "Quintero, Marisol" in found
    assert "Daves, Pat" not in found
    assert "No plan matches." in client.get(url, {"q": "nobody\x00"}).content.decode()


def test_the_value_is_what_the_patient_last_saw_or_todays_fees(practice, maker):
    with scope(practice=practice):
        unshown = maker.plan(_patient(practice, "Unshown"), *ALTERNATIVES)
        shown = maker.plan(_patient(practice, "Shown"), *ALTERNATIVES)
        maker.present(shown)
        maker.change(shown, shown.procedures[0][0], fee=Decimal("2500.00"))
        chosen = maker.plan(_patient(practice, "Chosen"), *ALTERNATIVES)
        maker.present(chosen)
        maker.complete(chosen, chosen.procedures[1][0])  # completed counts as accepted
        maker.change(unshown, unshown.procedures[0][0], fee=Decimal("1999.00"))
        values = {plan.patient.last_name: plan.value for plan in plan_list(practice=practice)}
    assert values == {
        "Unshown": Decimal("1999.00"),
        "Shown": Decimal("2100.00"),
        "Chosen": Decimal("1360.00"),
    }


def test_pages_keep_the_filters(practice, maker, alice, client_for):
    with scope(practice=practice):
        for n in range(27):
            maker.plan(_patient(practice, f"Many{n:02d}"), *TWO_PROCEDURES)
    url = reverse("overview:plans", args=[practice.slug])
    first = client_for(alice).get(url, {"status": "diagnosed"}).content.decode()
    assert "Page 1 of 2" in first
    assert 'href="?status=diagnosed&amp;page=2"' in first
    second = client_for(alice).get(url, {"status": "diagnosed", "page": "2"}).content.decode()
    assert second.count(", Pat</a>") == 2


def test_a_home_list_opens_as_the_plans_list(practice, maker, alice, client_for):
    with scope(practice=practice):
        partial = maker.plan(_patient(practice, "Partial"), *TWO_PROCEDURES)
        maker.present(partial)
        maker.decide(partial, partial.procedures[0][0], "accepted")
        maker.plan(_patient(practice, "Waiting"), *TWO_PROCEDURES)
    url = reverse("overview:plans", args=[practice.slug])
    html = client_for(alice).get(url, {"queue": "accepted_unscheduled"}).content.decode()
    assert "Partial, Pat" in html
    assert "Waiting, Pat" not in html
    assert "Accepted, not scheduled" in html


def test_htmx_filtering_answers_the_results_only(practice, maker, alice, client_for):
    with scope(practice=practice):
        maker.plan(_patient(practice, "Ortega"), *TWO_PROCEDURES)
    response = client_for(alice).get(
        reverse("overview:plans", args=[practice.slug]),
        {"q": "ort"},
        headers={"HX-Request": "true", "HX-Target": "plan-results"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="plan-results"')
    assert "Ortega, Pat" in html


def test_other_practices_plans_are_not_listed(
    practice, other_practice, maker, charlie, alice, client_for
):
    with scope(practice=practice):
        maker.plan(_patient(practice, "Ours"), *TWO_PROCEDURES)
    theirs = client_for(charlie).get(reverse("overview:plans", args=[other_practice.slug]))
    assert "Ours, Pat" not in theirs.content.decode()
    assert (
        client_for(charlie).get(reverse("overview:plans", args=[practice.slug])).status_code == 404
    )


def test_the_list_and_the_plan_pages_do_not_collide(practice):
    plan_id = "7f2b1c8e-1111-4a4a-9b9b-0123456789ab"
    assert resolve(f"/p/{practice.slug}/plans/").view_name == "overview:plans"
    assert (
        resolve(f"/p/{practice.slug}/plans/{plan_id}/presentations/{plan_id}/").view_name
        == "overview:presentation"
    )
    try:
        detail = reverse("plans:detail", args=[practice.slug, plan_id])
        create = reverse("plans:create", args=[practice.slug, plan_id])
    except NoReverseMatch:
        pytest.skip("the plan page is not wired yet")
    assert resolve(detail).view_name == "plans:detail"
    assert resolve(create).view_name == "plans:create"


def test_plan_ids_are_uuids(practice):
    with pytest.raises(Resolver404):
        resolve(f"/p/{practice.slug}/plans/123/presentations/456/")


def _seed(practice, maker, start, stop):
    for n in range(start, stop):
        built = maker.plan(_patient(practice, f"Seeded{n:02d}"), *ALTERNATIVES)
        if n % 2:
            maker.present(built)


@pytest.mark.parametrize("params", [{}, {"status": "presented", "q": "seed"}])
def test_query_count_does_not_grow_with_plans(
    params, practice, maker, alice, client_for, django_assert_num_queries
):
    url = reverse("overview:plans", args=[practice.slug])
    client = client_for(alice)
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url)
        with scope(practice=practice):
            _seed(practice, maker, 0, 2)
        with CaptureQueriesContext(connection) as one:
            small = client.get(url, params)
        assert small.status_code == 200
        assert len(one) <= 12, "\n".join(q["sql"] for q in one.captured_queries)
        with scope(practice=practice):
            _seed(practice, maker, 2, 26)
        with django_assert_num_queries(len(one)):
            large = client.get(url, params)
    assert large.content.decode().count(", Pat</a>") == (25 if not params else 13)
