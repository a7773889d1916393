"""A patient's coverage: adding (with a shared family subscription), editing, payment order,
ending and removing; who may do it; other practices' objects; the patient page's panel."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from insurance.models import Coverage, EligibilityCheck, InsuranceHistory, Subscription
from tests.factories import CarrierFactory, GroupPlanFactory, PatientFactory
from tests.insurance.coverage_support import (
    audit_actions,
    child_of,
    jane_doe,
    page_url,
    snapshot,
    url,
)


@pytest.fixture(autouse=True)
def _reads_outside_requests():
    with scopes_disabled():
        yield


@pytest.fixture
def jane(practice):
    return jane_doe(practice)


@pytest.fixture
def john(practice):
    """Jane's husband: a patient, covered by nothing yet."""
    return PatientFactory(
        practice=practice, first_name="John", last_name="Doe", birth_date=datetime.date(1983, 2, 1)
    )


@pytest.fixture
def guardian(practice):
    carrier = CarrierFactory(practice=practice, name="Guardian Dental")
    return GroupPlanFactory(
        practice=practice, carrier=carrier, employer="Beta Works", group_number="GB-77"
    )


def _add(client, patient, **data):
    data = {"relationship": "self", **data}
    return client.post(reverse("coverage:add", args=[patient.practice.slug, patient.pk]), data)


def _today(practice) -> datetime.date:
    return timezone.localdate(timezone=practice.tzinfo)


def _order(patient) -> list[tuple[int, str]]:
    return [
        (c.ordinal, c.subscription.group_plan.carrier.name)
        for c in Coverage.objects.filter(patient=patient)
        .select_related("subscription__group_plan__carrier")
        .order_by("ordinal")
    ]


# --- Adding --------------------------------------------------------------------------------------


def test_adding_the_patients_own_coverage(client_for, erin, john, guardian):
    response = _add(
        client_for(erin),
        john,
        group_plan=guardian.pk,
        subscriber=john.pk,
        relationship="spouse",  # the subscriber's own coverage is "self", whatever is chosen
        member_id=" GX-1001 ",
        effective_date="2024-03-01",
    )

    assert response.status_code == 302
    assert response["Location"] == page_url(john)
    coverage = Coverage.objects.select_related("subscription").get(patient=john)
    assert (coverage.ordinal, coverage.relationship) == (1, "self")
    assert coverage.subscription.subscriber == john
    assert coverage.subscription.member_id == "GX-1001"
    assert coverage.subscription.effective_date == datetime.date(2024, 3, 1)
    event = AuditEvent.objects.get(action="insurance.coverage_added")
    assert event.patient_id == john.pk
    assert event.detail == {
        "fields": ["effective_date", "group_plan", "member_id", "relationship", "subscriber"],
        "subscription": "new",
    }


def test_a_spouse_shares_the_subscribers_subscription(client_for, alice, jane, john):
    response = _add(
        client_for(alice),
        john,
        group_plan=jane.group_plan.pk,
        subscriber=jane.patient.pk,
        relationship="spouse",
        member_id="w123 456 789",  # the same id, typed differently
    )

    assert response.status_code == 302
    coverage = Coverage.objects.get(patient=john)
    assert coverage.subscription_id == jane.subscription.pk
    assert coverage.relationship == "spouse"
    assert Subscription.objects.count() == 1
    assert AuditEvent.objects.get(action="insurance.coverage_added").detail["subscription"] == (
        "shared"
    )


def test_a_shared_subscription_fills_in_what_it_lacks(client_for, alice, practice, john):
    jane = jane_doe(practice, member_id="")

    _add(
        client_for(alice),
        john,
        group_plan=jane.group_plan.pk,
        subscriber=jane.patient.pk,
        relationship="spouse",
        member_id="W123456789",
        effective_date="2024-09-01",
    )

    jane.subscription.refresh_from_db()
    assert jane.subscription.member_id == "W123456789"
    assert jane.subscription.effective_date == datetime.date(2024, 9, 1)


def test_a_second_coverage_pays_after_the_first(client_for, alice, jane, guardian):
    _add(
        client_for(alice),
        jane.patient,
        group_plan=guardian.pk,
        subscriber=jane.patient.pk,
        relationship="self",
    )

    assert _order(jane.patient) == [(1, "Example Dental Plan"), (2, "Guardian Dental")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"group_plan": ""}, "Choose the group plan"),
        ({"subscriber": "00000000-0000-0000-0000-000000000000"}, "That patient is not available"),
        ({"relationship": "self"}, "Only the subscriber is “self”"),
        ({"member_id": "X999"}, "has member ID W123456789: leave this empty to use it."),
        ({"effective_date": "2020-01-01"}, "took effect on"),
        ({"effective_date": "01/32/2024"}, "Enter a valid date."),
        ({"member_id": "bad\x01id"}, "Remove the control characters."),
    ],
)
def test_bad_input_shows_the_form_again_and_changes_nothing(
    client_for, alice, practice, john, changes, message
):
    jane = jane_doe(practice, effective_date=datetime.date(2024, 9, 1))
    before = snapshot(practice)
    data = {
        "group_plan": jane.group_plan.pk,
        "subscriber": jane.patient.pk,
        "relationship": "spouse",
        "member_id": "",
        "effective_date": "",
        **changes,
    }

    response = _add(client_for(alice), john, **data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot(practice) == before


def test_a_patient_is_covered_once_by_a_subscription(client_for, alice, jane):
    before = snapshot(jane.practice)

    response = _add(
        client_for(alice),
        jane.patient,
        group_plan=jane.group_plan.pk,
        subscriber=jane.patient.pk,
        relationship="self",
    )

    assert response.status_code == 422
    assert "already covered by that subscription" in response.content.decode()
    assert snapshot(jane.practice) == before


def test_group_plans_and_subscribers_are_found(client_for, alice, jane, john, guardian):
    client = client_for(alice)
    add = reverse("coverage:add", args=[john.practice.slug, john.pk])

    by_plan = client.get(add, {"plan_q": "beta"}).content.decode()
    by_birth_date = client.get(add, {"subscriber_q": "04/12/1985"}).content.decode()
    partial = client.get(
        add,
        {"plan_q": "GB-77"},
        headers={"HX-Request": "true", "HX-Target": "plan-choices"},
    ).content.decode()

    assert "Guardian Dental · Beta Works · GB-77" in by_plan
    assert "Acme Corp" not in by_plan
    assert "Doe, Jane, born 04/12/1985" in by_birth_date
    assert partial.lstrip().startswith('<fieldset id="plan-choices"')
    assert "GB-77" in partial


# --- Changing ------------------------------------------------------------------------------------


def test_editing_the_member_id_and_start_date(client_for, erin, jane):
    response = client_for(erin).post(
        url("edit", jane.coverage), {"member_id": "W555", "effective_date": "2024-09-01"}
    )

    assert response.status_code == 302
    jane.subscription.refresh_from_db()
    assert (jane.subscription.member_id, jane.subscription.effective_date) == (
        "W555",
        datetime.date(2024, 9, 1),
    )
    event = AuditEvent.objects.get(action="insurance.coverage_updated")
    assert event.detail == {"fields": ["effective_date", "member_id"]}


def test_a_start_after_the_end_is_refused(client_for, alice, jane):
    jane.subscription.ended_on = datetime.date(2024, 12, 31)
    jane.subscription.save()
    before = snapshot(jane.practice)

    response = client_for(alice).post(
        url("edit", jane.coverage), {"member_id": "W123456789", "effective_date": "2025-02-01"}
    )

    assert response.status_code == 422
    assert "cannot end before it starts" in response.content.decode()
    assert snapshot(jane.practice) == before


def test_making_a_coverage_primary(client_for, alice, jane, guardian):
    client = client_for(alice)
    _add(client, jane.patient, group_plan=guardian.pk, subscriber=jane.patient.pk)
    second = Coverage.objects.get(patient=jane.patient, ordinal=2)

    response = client.post(url("make_primary", second))

    assert response.status_code == 302
    assert _order(jane.patient) == [(1, "Guardian Dental"), (2, "Example Dental Plan")]
    assert "insurance.coverage_reordered" in audit_actions(jane.practice)


def test_four_coverages_reorder_without_a_spare_ordinal(client_for, alice, practice):
    jane = jane_doe(practice)
    client = client_for(alice)
    for n in range(3):
        plan = GroupPlanFactory(
            practice=practice, carrier=CarrierFactory(practice=practice, name=f"Carrier {n}")
        )
        _add(client, jane.patient, group_plan=plan.pk, subscriber=jane.patient.pk)
    fourth = Coverage.objects.get(patient=jane.patient, ordinal=4)
    EligibilityCheck.objects.create(
        practice=practice, coverage=fourth, kind="phone", checked_on=datetime.date(2025, 1, 2)
    )

    client.post(url("make_primary", fourth))

    assert _order(jane.patient) == [
        (1, "Carrier 2"),
        (2, "Example Dental Plan"),
        (3, "Carrier 0"),
        (4, "Carrier 1"),
    ]
    assert EligibilityCheck.objects.get().coverage_id == fourth.pk
    fifth = GroupPlanFactory(practice=practice)
    response = _add(client, jane.patient, group_plan=fifth.pk, subscriber=jane.patient.pk)
    assert "four coverages at most" in response.content.decode()


def test_ending_a_coverage_moves_it_after_those_in_force(client_for, alice, jane, guardian):
    client = client_for(alice)
    _add(client, jane.patient, group_plan=guardian.pk, subscriber=jane.patient.pk)
    jimmy = child_of(jane)
    yesterday = _today(jane.practice) - datetime.timedelta(days=1)

    response = client.post(url("end", jane.coverage), {"ended_on": yesterday.isoformat()})

    assert response.status_code == 302
    assert _order(jane.patient) == [(1, "Guardian Dental"), (2, "Example Dental Plan")]
    jane.subscription.refresh_from_db()
    assert jane.subscription.ended_on == yesterday
    # Jimmy was on Jane's subscription: it ended for him too.
    page = client.get(page_url(jimmy.patient)).content.decode()
    assert f"Ended {yesterday:%m/%d/%Y}" in page
    event = AuditEvent.objects.get(action="insurance.coverage_ended")
    assert event.detail == {"fields": ["ended_on"], "covered_patients": 2}
    assert client.post(url("make_primary", jane.coverage)).status_code == 302
    assert _order(jane.patient)[0] == (1, "Guardian Dental")


def test_an_end_before_the_start_is_refused(client_for, alice, practice):
    jane = jane_doe(practice, effective_date=datetime.date(2024, 9, 1))
    before = snapshot(practice)

    response = client_for(alice).post(url("end", jane.coverage), {"ended_on": "2024-08-31"})

    assert response.status_code == 422
    assert "cannot end before it starts" in response.content.decode()
    assert snapshot(practice) == before


def test_removing_a_coverage_keeps_its_history(client_for, alice, jane, guardian):
    client = client_for(alice)
    _add(client, jane.patient, group_plan=guardian.pk, subscriber=jane.patient.pk)
    InsuranceHistory.objects.create(
        practice=jane.practice,
        subscription=jane.subscription,
        patient=jane.patient,
        kind="paid",
        code="D1110",
        service_date=datetime.date(2024, 5, 1),
    )
    guardian_coverage = Coverage.objects.get(patient=jane.patient, ordinal=2)

    client.post(url("remove", jane.coverage))
    client.post(url("remove", guardian_coverage))

    assert not Coverage.objects.filter(patient=jane.patient).exists()
    # Jane's Example subscription keeps its history; the Guardian one held nothing and is gone.
    assert list(Subscription.objects.values_list("pk", flat=True)) == [jane.subscription.pk]
    assert InsuranceHistory.objects.count() == 1
    assert audit_actions(jane.practice).count("insurance.coverage_removed") == 2


# --- Who may, and whose -------------------------------------------------------------------------


def test_front_desk_edits_coverage_and_a_dentist_does_not(client_for, erin, dave, jane):
    data = {"member_id": "W777", "effective_date": ""}

    assert client_for(dave).get(page_url(jane.patient)).status_code == 200
    assert client_for(dave).post(url("edit", jane.coverage), data).status_code == 403
    assert client_for(dave).get(url("history", jane.coverage)).status_code == 200
    assert client_for(erin).post(url("edit", jane.coverage), data).status_code == 302
    jane.subscription.refresh_from_db()
    assert jane.subscription.member_id == "W777"


def test_a_dentist_sees_no_editing_controls(client_for, dave, jane):
    page = client_for(dave).get(page_url(jane.patient)).content.decode()

    assert "Add coverage" not in page
    assert "Make primary" not in page
    assert "Eligibility request (270)" not in page


OBJECT_URLS = [
    ("edit", "GET", {}),
    ("make_primary", "POST", {}),
    ("end", "GET", {}),
    ("remove", "POST", {}),
    ("history", "GET", {}),
    ("history_add", "POST", {}),
    ("history_delete", "POST", {"entry_id": "entry"}),
    ("request_270", "POST", {}),
    ("import_271", "GET", {}),
    ("import_271_preview", "GET", {}),
    ("phone_check", "GET", {}),
    ("check_detail", "GET", {"check_id": "check"}),
    ("check_270", "GET", {"check_id": "check"}),
]


@pytest.mark.parametrize(("name", "method", "extra"), OBJECT_URLS)
def test_another_practices_coverage_is_not_found(
    client_for, charlie, practice, other_practice, name, method, extra
):
    """Charlie, in his own practice, with the ids of a patient, coverage, entry and check of
    another practice: 404, whatever the page."""
    jane = jane_doe(practice)
    entry = InsuranceHistory.objects.create(
        practice=practice,
        subscription=jane.subscription,
        patient=jane.patient,
        kind="paid",
        code="D1110",
        service_date=datetime.date(2024, 5, 1),
    )
    check = EligibilityCheck.objects.create(
        practice=practice,
        coverage=jane.coverage,
        kind="x12",
        checked_on=datetime.date(2025, 1, 2),
        request_270="ISA~",
    )
    ids = {"entry": entry.pk, "check": check.pk}
    kwargs = {
        "practice_slug": other_practice.slug,
        "patient_id": jane.patient.pk,
        "coverage_id": jane.coverage.pk,
        **{key: ids[value] for key, value in extra.items()},
    }
    target = reverse(f"coverage:{name}", kwargs=kwargs)

    client = client_for(charlie)
    response = client.post(target) if method == "POST" else client.get(target)

    assert response.status_code == 404


def test_a_coverage_of_another_patient_is_not_found_under_this_one(client_for, alice, jane, john):
    target = reverse("coverage:edit", args=[jane.practice.slug, john.pk, jane.coverage.pk])

    assert client_for(alice).get(target).status_code == 404


def test_the_patient_page_has_an_insurance_panel(client_for, dave, jane):
    page = client_for(dave).get(
        reverse("patients:detail", args=[jane.practice.slug, jane.patient.pk])
    )

    text = page.content.decode()
    assert "Primary coverage: Example Dental Plan" in text
    assert page_url(jane.patient) in text


def test_the_insurance_page_shows_source_and_age(client_for, alice, jane, practice):
    jane.group_plan.benefits_source = "eligibility_271"
    jane.group_plan.benefits_updated_on = _today(practice) - datetime.timedelta(days=45)
    jane.group_plan.save()
    child_of(jane)

    page = client_for(alice).get(page_url(jane.patient)).content.decode()

    assert "Eligibility check" in page
    assert "(45 days ago)" in page
    assert f"Verified more than {practice.benefits_stale_after_days} days ago." in page
    assert "Jimmy Doe" in page  # the family on the subscription
    assert "patient.insurance_viewed" in audit_actions(practice)


def test_coverage_audit_events_name_fields_only(client_for, alice, jane, john, guardian):
    client = client_for(alice)
    _add(
        client,
        john,
        group_plan=jane.group_plan.pk,
        subscriber=jane.patient.pk,
        relationship="spouse",
    )
    client.post(url("edit", jane.coverage), {"member_id": "W424242", "effective_date": ""})
    client.post(url("end", jane.coverage), {"ended_on": "2030-06-30"})

    details = json.dumps(
        list(AuditEvent.objects.filter(action__startswith="insurance.").values_list("detail"))
    )
    for value in ("W424242", "2030", "W123456789", "spouse"):
        assert value not in details
