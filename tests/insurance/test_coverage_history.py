"""A subscription's history, from a coverage: the whole family's usage by benefit year, adding
and removing entries under the model's rules, and who may."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from insurance.models import InsuranceHistory
from tests.insurance.coverage_support import child_of, jane_doe, snapshot, url


@pytest.fixture(autouse=True)
def _reads_outside_requests():
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _in_march_2025():
    with time_machine.travel(datetime.datetime(2025, 3, 10, 17, 0, tzinfo=datetime.UTC)):
        yield


@pytest.fixture
def family(practice):
    jane = jane_doe(practice)
    jane.jimmy = child_of(jane)
    return jane


def _entry(family, patient, day, **fields) -> InsuranceHistory:
    return InsuranceHistory.objects.create(
        practice=family.practice,
        subscription=family.subscription,
        patient=patient,
        service_date=day,
        **{"kind": "paid", "code": "D1110", "amount": Decimal("80.00"), **fields},
    )


def _new(family, **changes) -> dict:
    return {
        "patient": str(family.patient.pk),
        "kind": "paid",
        "code": "d2391",
        "service_date": "2025-02-03",
        "amount": "96.00",
        "deductible": "50.00",
        "writeoff": "",
        "tooth": "30",
        "surfaces": "mo",
        "area": "",
        "note": "",
        **changes,
    }


def test_the_history_shows_the_whole_family_by_benefit_year(client_for, dave, family):
    _entry(family, family.patient, datetime.date(2025, 2, 1))
    _entry(family, family.jimmy.patient, datetime.date(2025, 1, 20), code="D0120")
    _entry(family, family.patient, datetime.date(2024, 6, 1), code="D0274")

    page = client_for(dave).get(url("history", family.coverage)).content.decode()

    assert page.index("This benefit year") < page.index("D1110") < page.index("D0120")
    assert page.index("D0120") < page.index("Benefit year <span") < page.index("D0274")
    assert "Jimmy Doe" in page
    assert "(this patient)" in page
    assert "Add an entry" not in page  # a dentist reads it only


def test_adding_an_entry(client_for, erin, family):
    response = client_for(erin).post(url("history_add", family.coverage), _new(family))

    assert response.status_code == 302
    entry = InsuranceHistory.objects.get()
    assert (entry.kind, entry.code, entry.tooth, entry.surfaces) == ("paid", "D2391", "30", "MO")
    assert (entry.amount, entry.deductible, entry.writeoff) == (
        Decimal("96.00"),
        Decimal("50.00"),
        None,
    )
    assert (entry.source, entry.recorded_by, entry.patient) == ("manual", erin, family.patient)
    event = AuditEvent.objects.get(action="insurance.history_added")
    assert event.patient_id == family.patient.pk
    assert event.detail == {
        "fields": [
            "amount",
            "code",
            "deductible",
            "kind",
            "patient",
            "service_date",
            "surfaces",
            "tooth",
        ]
    }


def test_an_entry_for_a_family_member(client_for, alice, family):
    data = _new(family, patient=str(family.jimmy.patient.pk), kind="done_elsewhere")
    data.update(amount="", deductible="", tooth="", surfaces="")

    client_for(alice).post(url("history_add", family.coverage), data)

    entry = InsuranceHistory.objects.get()
    assert (entry.patient, entry.kind, entry.amount) == (family.jimmy.patient, "done_elsewhere", 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "benefits_used"}, "“Benefits used” is not about a procedure"),
        ({"kind": "done_elsewhere"}, "Work done elsewhere was not paid by this plan here."),
        ({"code": ""}, "Which procedure was it?"),
        ({"code": "X1"}, "D followed by four digits"),
        ({"service_date": "2025-04-01"}, "not a future date"),
        ({"tooth": "", "surfaces": "MO"}, "Surfaces need a tooth."),
        ({"amount": "-1"}, "An amount cannot be negative."),
        ({"patient": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice."),
    ],
)
def test_bad_entries_change_nothing(client_for, alice, family, changes, message):
    before = snapshot(family.practice)

    response = client_for(alice).post(url("history_add", family.coverage), _new(family, **changes))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot(family.practice) == before


def test_removing_an_entry(client_for, alice, family):
    entry = _entry(family, family.patient, datetime.date(2025, 2, 1))

    response = client_for(alice).post(url("history_delete", family.coverage, entry_id=entry.pk))

    assert response.status_code == 302
    assert not InsuranceHistory.objects.exists()
    assert AuditEvent.objects.get(action="insurance.history_deleted").patient_id == (
        family.patient.pk
    )


def test_an_entry_of_another_subscription_is_not_found(client_for, alice, family, practice):
    other = jane_doe(practice, member_id="W2")
    entry = _entry(other, other.patient, datetime.date(2025, 2, 1))

    response = client_for(alice).post(url("history_delete", family.coverage, entry_id=entry.pk))

    assert response.status_code == 404
    assert InsuranceHistory.objects.filter(pk=entry.pk).exists()


def test_a_dentist_cannot_add_or_remove(client_for, dave, family):
    entry = _entry(family, family.patient, datetime.date(2025, 2, 1))
    client = client_for(dave)

    assert client.post(url("history_add", family.coverage), _new(family)).status_code == 403
    delete = url("history_delete", family.coverage, entry_id=entry.pk)
    assert client.post(delete).status_code == 403
    assert InsuranceHistory.objects.count() == 1
