"""Query budgets of the insurance pages: a fixed number of queries, however many rows."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insurance.models import Benefit, FeeScheduleEntry
from tests.factories import CarrierFactory, GroupPlanFactory, SubscriptionFactory

# Session, user, membership and second factor come first; the plan page then reads the plan with
# its carrier, the benefits, the downgrades, the fees and the subscriber count (9 in all today).
DETAIL_BUDGET = 10
LIST_BUDGET = 12

BENEFIT_KINDS = [
    {"kind": "coverage", "percent": 80},
    {"kind": "deductible", "amount": "50.00", "level": "individual", "period": "benefit_year"},
    {"kind": "maximum", "amount": "1500.00", "level": "family", "period": "lifetime"},
    {"kind": "frequency", "count": 2, "per": "calendar_year", "area": "tooth"},
    {"kind": "age_limit", "max_age": 18},
    {"kind": "waiting_period", "months": 12},
    {"kind": "exclusion"},
    {"kind": "coverage", "percent": 50},
]


def _big_plan(practice):
    plan = GroupPlanFactory(practice=practice, plan_type="ppo")
    Benefit.objects.bulk_create(
        Benefit(
            practice=practice,
            group_plan=plan,
            scope=f"code:D{1000 + n:04d}",
            **BENEFIT_KINDS[n % len(BENEFIT_KINDS)],
        )
        for n in range(40)
    )
    FeeScheduleEntry.objects.bulk_create(
        FeeScheduleEntry(
            practice=practice,
            group_plan=plan,
            schedule="allowed" if n < 200 else "copay",
            code=f"D{n % 200:04d}",
            amount=f"{n}.00",
        )
        for n in range(300)
    )
    for _ in range(3):
        SubscriptionFactory(practice=practice, group_plan=plan)
    return plan


def test_the_group_plan_page_with_many_rows(
    client_for, bob, practice, django_assert_max_num_queries
):
    plan = _big_plan(practice)
    client = client_for(bob)
    url = reverse("insurance:plan_detail", args=[practice.slug, plan.pk])
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url)
        with django_assert_max_num_queries(DETAIL_BUDGET):
            response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("/benefits/") >= 40 * 2  # edit and remove for every row
    assert page.count('<td class="num">') >= 300  # every fee entry is on the page
    assert "3 with current coverage" in page


def _seed_plans(practice, start: int, stop: int) -> None:
    for n in range(start, stop):
        carrier = CarrierFactory(practice=practice, name=f"Carrier {n:02d}")
        GroupPlanFactory(practice=practice, carrier=carrier, employer=f"Employer {n:02d}")


@pytest.mark.parametrize(
    ("name", "row_text", "rows_on_30"),
    [("insurance:plans", "Employer ", 30), ("insurance:carriers", "Carrier ", 30)],
)
def test_lists_run_the_same_queries_for_1_row_as_for_30(
    name, row_text, rows_on_30, client_for, bob, practice, django_assert_num_queries
):
    client = client_for(bob)
    url = reverse(name, args=[practice.slug])
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url)
        _seed_plans(practice, 0, 1)
        with CaptureQueriesContext(connection) as one_row:
            assert client.get(url).status_code == 200
        assert len(one_row) <= LIST_BUDGET, "\n".join(q["sql"] for q in one_row.captured_queries)
        _seed_plans(practice, 1, 30)
        with django_assert_num_queries(len(one_row)):
            large = client.get(url)
    assert large.content.decode().count(f">{row_text}") >= rows_on_30
