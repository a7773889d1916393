"""Query budgets of a patient's insurance pages: the same few queries for 1 history row or
check as for 60."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from insurance.models import EligibilityCheck, InsuranceHistory
from tests.factories import CarrierFactory, GroupPlanFactory, SubscriptionFactory
from tests.insurance.coverage_support import child_of, jane_doe, page_url, url

# Session, user and membership (with the practice) come first. The insurance page then reads
# the patient, the coverages, this year's history counts, the family and the checks, and
# records the view; the history page reads the patient, the coverage, the family, the count
# and the entries (10 each today).
PAGE_BUDGET = 11
HISTORY_BUDGET = 11


@pytest.fixture
def family(practice):
    with scopes_disabled():
        jane = jane_doe(practice)
        child_of(jane)
        second = GroupPlanFactory(
            practice=practice, carrier=CarrierFactory(practice=practice, name="Guardian")
        )
        subscription = SubscriptionFactory(
            practice=practice, group_plan=second, subscriber=jane.patient
        )
        jane.second = subscription.coverages.create(
            practice=practice, patient=jane.patient, ordinal=2, relationship="self"
        )
    return jane


def _grow(family, start: int, stop: int) -> None:
    with scopes_disabled():
        for n in range(start, stop):
            for coverage in (family.coverage, family.second):
                InsuranceHistory.objects.create(
                    practice=family.practice,
                    subscription=coverage.subscription,
                    patient=family.patient,
                    kind="paid",
                    code="D1110",
                    service_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=n * 9),
                    amount=Decimal("80.00"),
                )
            EligibilityCheck.objects.create(
                practice=family.practice,
                coverage=family.coverage if n % 2 else family.second,
                kind="phone",
                checked_on=datetime.date(2025, 1, 1),
                spoke_with=f"Agent {n}",
            )


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("path", "budget"),
    [
        (lambda family: page_url(family.patient), PAGE_BUDGET),
        (lambda family: url("history", family.coverage), HISTORY_BUDGET),
    ],
    ids=["insurance-page", "history"],
)
def test_the_pages_read_a_fixed_number_of_queries(
    client_for, alice, family, django_assert_max_num_queries, path, budget
):
    client = client_for(alice)
    _grow(family, 0, 1)
    client.get(path(family))  # the session settles on the first request
    few = _count(client, path(family))

    _grow(family, 1, 60)
    with django_assert_max_num_queries(budget):
        response = client.get(path(family))

    assert response.status_code == 200
    assert _count(client, path(family)) == few
