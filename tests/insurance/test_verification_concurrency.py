"""What only committed transactions show: control numbers taken by concurrent requests, and
coverage rows that leave and come back (four coverages, no spare ordinal) past the commit."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django_scopes import scopes_disabled

from insurance.coverage_services import coverage_make_primary
from insurance.models import Coverage, EligibilityCheck, Subscription, X12ControlNumber
from insurance.verification import next_control_number
from tests.factories import CarrierFactory, GroupPlanFactory
from tests.insurance.coverage_support import jane_doe

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_requests_never_share_a_control_number(practice):
    start = threading.Barrier(2)
    taken: list[int] = []
    errors: list[BaseException] = []

    def request_270s() -> None:
        try:
            with scopes_disabled():
                start.wait()
                for _ in range(15):
                    with transaction.atomic():
                        number = next_control_number(practice)
                        time.sleep(0.002)  # hold the lock while the other thread asks
                        taken.append(number)
        except BaseException as error:  # noqa: BLE001 reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request_270s) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(taken) == list(range(1, 31))
    with scopes_disabled():
        assert X12ControlNumber.objects.get(practice=practice).last_number == 30


def test_control_numbers_go_round_after_the_largest(practice):
    with scopes_disabled():
        X12ControlNumber.objects.create(practice=practice, last_number=999_999_999)

        assert next_control_number(practice) == 1


def test_four_coverages_reordered_survive_the_commit(practice, alice):
    with scopes_disabled():
        jane = jane_doe(practice)
        for n in range(2, 5):
            plan = GroupPlanFactory(
                practice=practice, carrier=CarrierFactory(practice=practice, name=f"Carrier {n}")
            )
            subscription = Subscription.objects.create(
                practice=practice, group_plan=plan, subscriber=jane.patient
            )
            Coverage.objects.create(
                practice=practice,
                patient=jane.patient,
                subscription=subscription,
                ordinal=n,
                relationship="self",
            )
        fourth = Coverage.objects.get(patient=jane.patient, ordinal=4)
        EligibilityCheck.objects.create(
            practice=practice, coverage=fourth, kind="phone", checked_on=datetime.date(2025, 1, 2)
        )
        request = RequestFactory().post("/")
        request.user = alice
        request.practice = practice
        fourth = Coverage.objects.select_related("patient", "subscription").get(pk=fourth.pk)

        coverage_make_primary(coverage=fourth, request=request, today=datetime.date(2025, 1, 20))

        order = list(
            Coverage.objects.filter(patient=jane.patient)
            .order_by("ordinal")
            .values_list("subscription__group_plan__carrier__name", flat=True)
        )
        assert order == ["Carrier 4", "Example Dental Plan", "Carrier 2", "Carrier 3"]
        assert EligibilityCheck.objects.get().coverage_id == fourth.pk
