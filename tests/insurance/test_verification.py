"""Eligibility verification of a coverage: the 270 download, importing the composed 271 (rows,
history, re-imports, bad and inactive answers), phone checks and a real-time transport."""

import datetime
import json
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from insurance.models import Benefit, EligibilityCheck, InsuranceHistory, X12ControlNumber
from insurance.x12 import parse_270
from tests.insurance.coverage_support import (
    ANSWERED,
    NPI,
    SUBMITTER,
    audit_actions,
    child_of,
    import_271,
    jane_doe,
    page_url,
    snapshot,
    upload_271,
    url,
)
from tests.insurance.x12.x12_text import SAMPLE_271, replaced, subscriber_271

# The composed 271 as the group plan holds it (x12-eligibility.md, "What it says").
SAMPLE_ROWS = {
    ("coverage", "category:diagnostic", 100),
    ("coverage", "category:preventive", 100),
    ("coverage", "category:restorative", 80),
    ("coverage", "category:periodontics", 80),
    ("coverage", "category:endodontics", 80),
    ("coverage", "category:oral_surgery", 80),
    ("coverage", "category:crowns", 50),
    ("coverage", "category:prosthodontics", 50),
    ("coverage", "category:orthodontics", 50),
    ("deductible", "general", "50.00", "individual", "benefit_year"),
    ("deductible", "general", "150.00", "family", "benefit_year"),
    ("deductible", "category:diagnostic", "0.00", "individual", "benefit_year"),
    ("deductible", "category:preventive", "0.00", "individual", "benefit_year"),
    ("maximum", "general", "1500.00", "individual", "benefit_year"),
    ("maximum", "category:orthodontics", "1500.00", "individual", "lifetime"),
    ("frequency", "code:D1110", 2, "benefit_year"),
    ("frequency", "code:D0274", 1, "months:12"),
    ("frequency", "code:D0330", 1, "months:60"),
    ("frequency", "code:D1351", 1, "months:36"),
    ("age_limit", "category:orthodontics", 19),
    ("waiting_period", "category:crowns", 12),
    ("waiting_period", "category:prosthodontics", 12),
    ("exclusion", "code:D9972"),
}


@pytest.fixture(autouse=True)
def _reads_outside_requests():
    with scopes_disabled():
        yield


@pytest.fixture
def jane(practice):
    return jane_doe(practice)


@pytest.fixture
def after_answer():
    """Five days after the sample's answer (01/15/2025), in the practice's afternoon."""
    moment = datetime.datetime(2025, 1, 20, 18, 0, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        yield


def _row(b: Benefit) -> tuple:
    fields = {
        "coverage": ("percent",),
        "deductible": ("amount", "level", "period"),
        "maximum": ("amount", "level", "period"),
        "frequency": ("count", "per"),
        "age_limit": ("max_age",),
        "waiting_period": ("months",),
        "exclusion": (),
    }[b.kind]
    values = (f"{b.amount:.2f}" if name == "amount" else getattr(b, name) for name in fields)
    return (b.kind, b.scope, *values)


def _rows(group_plan) -> set:
    return {_row(b) for b in Benefit.objects.filter(group_plan=group_plan)}


def _history(coverage, **filters) -> list[tuple]:
    return sorted(
        (e.kind, e.code, e.service_date, e.amount, e.deductible, e.source)
        for e in InsuranceHistory.objects.filter(subscription=coverage.subscription, **filters)
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- The 270 -------------------------------------------------------------------------------------


def test_the_270_downloads_as_a_file_that_parses_back(client_for, erin, jane, after_answer):
    response = client_for(erin).post(url("request_270", jane.coverage))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="eligibility-270-2025-01-20-000000001.txt"'
    )
    request = parse_270(response.content.decode())
    assert (request.sender_id, request.receiver_id) == (SUBMITTER, "99999")
    assert (request.payer_name, request.payer_id) == ("EXAMPLE DENTAL PLAN", "99999")
    assert (request.provider_name, request.provider_npi) == ("SMILE NORTH DENTAL", NPI)
    assert (request.subscriber_last_name, request.subscriber_first_name) == ("DOE", "JANE")
    assert request.member_id == "W123456789"
    assert request.subscriber_birth_date == datetime.date(1985, 4, 12)
    assert request.dependent is None
    assert request.service_date == datetime.date(2025, 1, 20)  # the practice's today
    assert request.interchange_control_number == request.group_control_number == 1
    assert request.trace_number == "000000001"
    assert request.service_types == ("35",)
    check = EligibilityCheck.objects.get(coverage=jane.coverage)
    assert (check.kind, check.active, check.trace_number) == ("x12", None, "000000001")
    assert check.request_270 == response.content.decode()
    assert check.recorded_by == erin
    assert audit_actions(jane.practice)[-2:] == [
        "insurance.eligibility_requested",
        "insurance.eligibility_270_downloaded",
    ]


def test_a_dependents_270_asks_about_the_dependent(client_for, alice, jane, after_answer):
    jimmy = child_of(jane)

    response = client_for(alice).post(url("request_270", jimmy))

    request = parse_270(response.content.decode())
    assert (request.subscriber_last_name, request.subscriber_first_name) == ("DOE", "JANE")
    assert request.member_id == "W123456789"
    assert request.dependent.last_name == "DOE"
    assert request.dependent.first_name == "JIMMY"
    assert request.dependent.birth_date == datetime.date(2014, 6, 2)


def test_each_270_takes_the_next_control_number(client_for, alice, jane, after_answer):
    client = client_for(alice)
    first = parse_270(client.post(url("request_270", jane.coverage)).content.decode())
    second = parse_270(client.post(url("request_270", jane.coverage)).content.decode())

    assert (first.interchange_control_number, second.interchange_control_number) == (1, 2)
    assert X12ControlNumber.objects.get(practice=jane.practice).last_number == 2


def test_a_270_is_refused_while_the_practice_lacks_its_ids(client_for, alice, jane, practice):
    practice.npi = ""
    practice.x12_submitter_id = ""
    practice.save()
    jane.carrier.payer_id = ""
    jane.carrier.save()
    before = snapshot(practice)

    response = client_for(alice).post(url("request_270", jane.coverage))

    assert response.status_code == 302
    assert response["Location"] == page_url(jane.patient)
    assert _messages(response) == [
        "The practice has no NPI: add it in the practice settings.",
        "The practice has no clearinghouse submitter ID: add it in the practice settings.",
        "Example Dental Plan has no payer ID: add it on the carrier's page.",
    ]
    assert snapshot(practice) == before
    assert not X12ControlNumber.objects.filter(practice=practice).exists()


def test_a_name_x12_cannot_carry_is_refused_and_uses_no_number(client_for, alice, jane):
    jane.carrier.name = "Example*Dental"
    jane.carrier.save()

    response = client_for(alice).post(url("request_270", jane.coverage))

    assert response.status_code == 302
    [message] = _messages(response)
    assert message == (
        'The 270 cannot be written: payer_name "Example*Dental" contains "*", an X12 delimiter.'
    )
    assert not EligibilityCheck.objects.exists()
    assert not X12ControlNumber.objects.filter(practice=jane.practice, last_number__gt=0).exists()


def test_a_dependent_without_a_birth_date_is_refused(client_for, alice, jane):
    jimmy = child_of(jane)
    jimmy.patient.birth_date = None
    jimmy.patient.save()

    response = client_for(alice).post(url("request_270", jimmy))

    assert _messages(response) == ["Jimmy Doe's birth date is not on file."]


def test_an_earlier_270_downloads_again(client_for, alice, jane, after_answer):
    client = client_for(alice)
    first = client.post(url("request_270", jane.coverage)).content
    check = EligibilityCheck.objects.get()

    again = client.get(url("check_270", jane.coverage, check_id=check.pk))

    assert again.status_code == 200
    assert again.content == first
    assert audit_actions(jane.practice).count("insurance.eligibility_270_downloaded") == 2


class AnsweringTransport:
    """A clearinghouse that answers at once: the sample 271, echoing the request's trace."""

    def submit(self, request_text: str) -> str:
        trace = parse_270(request_text).trace_number
        return replaced(SAMPLE_271, "TRN*2*930000001*", f"TRN*2*{trace}*")


def test_a_real_time_transport_goes_straight_to_the_preview(
    client_for, alice, jane, after_answer, settings
):
    settings.X12_CLEARINGHOUSE_TRANSPORT = f"{__name__}.AnsweringTransport"
    client = client_for(alice)

    response = client.post(url("request_270", jane.coverage))

    assert response.status_code == 302
    preview = response["Location"]
    assert preview.startswith(url("import_271_preview", jane.coverage))
    assert b"ACME DENTAL PPO" in client.get(preview).content
    client.post(preview.split("?")[0], {"token": preview.split("token=")[1]})
    # The answer completes the check its request started.
    check = EligibilityCheck.objects.get()
    assert check.active is True
    assert check.request_270
    assert check.response_271
    assert check.trace_number == "000000001"


# --- Importing the composed 271 ------------------------------------------------------------------


def test_importing_the_composed_271_sets_what_it_says(client_for, erin, jane, after_answer):
    response = import_271(client_for(erin), jane.coverage)

    assert response.status_code == 302
    assert response["Location"] == page_url(jane.patient)
    assert _rows(jane.group_plan) == SAMPLE_ROWS
    assert set(Benefit.objects.values_list("source", flat=True)) == {"eligibility_271"}
    jane.group_plan.refresh_from_db()
    assert jane.group_plan.benefits_source == "eligibility_271"
    assert jane.group_plan.benefits_updated_on == ANSWERED
    assert jane.group_plan.missing_tooth_clause is True
    # We had no start date: the payer's (waiting periods count from it).
    jane.subscription.refresh_from_db()
    assert jane.subscription.effective_date == datetime.date(2024, 9, 1)
    # $30 of the $50 deductible met, $420 of the $1500 maximum used; the family's $50 and the
    # untouched ortho maximum are not entries; the two last visits are work done elsewhere.
    assert _history(jane.coverage) == [
        ("benefits_used", "", ANSWERED, Decimal("0.00"), Decimal("30.00"), "eligibility_271"),
        ("benefits_used", "", ANSWERED, Decimal("420.00"), Decimal("0.00"), "eligibility_271"),
        ("done_elsewhere", "D0274", datetime.date(2024, 8, 12), 0, 0, "eligibility_271"),
        ("done_elsewhere", "D1110", datetime.date(2024, 8, 12), 0, 0, "eligibility_271"),
    ]
    check = EligibilityCheck.objects.get(coverage=jane.coverage)
    assert (check.kind, check.active, check.checked_on) == ("x12", True, ANSWERED)
    assert check.response_271 == SAMPLE_271.strip()  # pasted: as typed, less the blank ends
    assert check.trace_number == "930000001"
    assert "MISSING TOOTH CLAUSE APPLIES" in check.messages.splitlines()
    assert check.summary["applied"] == {
        "benefits_added": 23,
        "benefits_replaced": 0,
        "history_added": 4,
        "history_replaced": 0,
    }
    assert [item["label"] for item in check.summary["unmapped"]] == [
        "routine preventive dental",
        "dental crowns",
    ]
    assert audit_actions(jane.practice)[-1] == "insurance.eligibility_imported"


def test_the_carriers_coinsurance_reading_is_used(client_for, alice, jane, after_answer):
    jane.carrier.coinsurance_inverted = True  # EB08 is the plan's share for this carrier
    jane.carrier.save()

    import_271(client_for(alice), jane.coverage)

    restorative = Benefit.objects.get(kind="coverage", scope="category:restorative")
    assert restorative.percent == 20


def test_the_preview_shows_everything_before_anything_changes(
    client_for, alice, jane, after_answer
):
    client = client_for(alice)
    before = snapshot(jane.practice)

    preview = upload_271(client, jane.coverage)
    page = client.get(preview).content.decode()

    assert snapshot(jane.practice) == before
    assert "ACME DENTAL PPO" in page
    assert "Plan pays 80%" in page
    assert "Covered through age 19" in page
    assert "MISSING TOOTH CLAUSE APPLIES" in page
    assert "The group plan will be marked with it." in page
    assert "Not understood, shown as text" in page
    assert "SEALANTS COVERED THROUGH AGE 15" in page
    assert "Out of network" in page
    assert "ORTHO BENEFITS ADMINISTRATOR" in page
    assert "$420.00 as “benefits used”" in page
    assert "each member&#x27;s own entries" in page


def test_reimporting_the_same_answer_does_not_double_usage(client_for, alice, jane, after_answer):
    client = client_for(alice)
    import_271(client, jane.coverage)
    first = _history(jane.coverage)
    first_check = EligibilityCheck.objects.get()

    import_271(client, jane.coverage)

    assert _history(jane.coverage) == first
    assert _rows(jane.group_plan) == SAMPLE_ROWS
    second = EligibilityCheck.objects.exclude(pk=first_check.pk).get()
    assert second.summary["applied"] == {
        "benefits_added": 23,
        "benefits_replaced": 23,
        "history_added": 2,
        "history_replaced": 2,
    }
    assert EligibilityCheck.objects.count() == 2


def test_a_later_answer_replaces_the_usage_of_that_benefit_year(
    client_for, alice, jane, after_answer
):
    client = client_for(alice)
    import_271(client, jane.coverage)
    later = replaced(SAMPLE_271, "EB*F*IND*35***24*420.00", "EB*F*IND*35***24*600.00")
    later = replaced(later, "EB*F*IND*35***29*1080.00", "EB*F*IND*35***29*900.00")

    import_271(client, jane.coverage, later)

    used = _history(jane.coverage, kind="benefits_used")
    assert [(amount, deductible) for *_, amount, deductible, _ in used] == [
        (Decimal("0.00"), Decimal("30.00")),
        (Decimal("600.00"), Decimal("0.00")),
    ]


def test_claims_on_file_are_not_counted_twice(client_for, alice, jane, after_answer):
    InsuranceHistory.objects.create(
        practice=jane.practice,
        subscription=jane.subscription,
        patient=jane.patient,
        kind="paid",
        code="D2391",
        service_date=datetime.date(2025, 1, 6),
        amount=Decimal("120.00"),
        deductible=Decimal("30.00"),
    )

    import_271(client_for(alice), jane.coverage)

    # The payer's $420 and $30 include this claim: only the rest is new.
    assert _history(jane.coverage, kind="benefits_used") == [
        ("benefits_used", "", ANSWERED, Decimal("300.00"), Decimal("0.00"), "eligibility_271")
    ]


def test_usage_of_the_ortho_lifetime_maximum_is_a_paid_d8080_line(
    client_for, alice, jane, after_answer
):
    client = client_for(alice)
    text = replaced(SAMPLE_271, "EB*F*IND*38***33*1500.00", "EB*F*IND*38***33*1200.00")

    import_271(client, jane.coverage, text)
    import_271(client, jane.coverage, text)

    [ortho] = InsuranceHistory.objects.filter(code="D8080")
    assert (ortho.kind, ortho.amount, ortho.service_date) == ("paid", Decimal("300.00"), ANSWERED)
    assert "Orthodontic lifetime maximum" in ortho.note


def test_hand_entered_rows_of_the_same_kind_and_scope_are_replaced(
    client_for, alice, jane, after_answer
):
    Benefit.objects.create(
        practice=jane.practice,
        group_plan=jane.group_plan,
        kind="coverage",
        scope="category:crowns",
        percent=60,
    )
    kept = Benefit.objects.create(
        practice=jane.practice,
        group_plan=jane.group_plan,
        kind="coverage",
        scope="code:D2740",
        percent=40,
    )
    client = client_for(alice)
    preview = upload_271(client, jane.coverage)

    page = client.get(preview).content.decode()

    assert "They also replace 1 row entered by hand with the same kind and scope" in page
    client.post(preview.split("?")[0], {"token": preview.split("token=")[1]})
    assert _rows(jane.group_plan) == SAMPLE_ROWS | {("coverage", "code:D2740", 40)}
    assert Benefit.objects.get(pk=kept.pk).source == "manual"


def test_a_malformed_271_imports_nothing_and_names_the_segment(
    client_for, alice, jane, after_answer
):
    client = client_for(alice)
    before = snapshot(jane.practice)
    broken = replaced(SAMPLE_271, "EB*C*IND*35***23*50.00", "EB*C*IND*35***23*5O.00")

    response = upload_271(client, jane.coverage, broken)

    assert response.status_code == 422
    page = response.content.decode()
    assert "segment 21 (EB): EB07 &quot;5O.00&quot; is not a decimal" in page
    assert snapshot(jane.practice) == before
    assert "insurance_eligibility_import" not in client.session


def test_a_270_uploaded_instead_of_the_271_is_refused(client_for, alice, jane):
    response = upload_271(client_for(alice), jane.coverage, SAMPLE_271.replace("HB", "HS", 1))

    assert response.status_code == 422
    assert "segment 2 (GS)" in response.content.decode()


def test_a_file_upload_works_like_pasted_text(client_for, alice, jane, after_answer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alice)
    upload = SimpleUploadedFile("answer.x12", SAMPLE_271.encode(), content_type="text/plain")

    response = client.post(url("import_271", jane.coverage), {"file": upload})

    assert response.status_code == 302
    assert "answer.x12" in client.get(response["Location"]).content.decode()


def test_an_inactive_answer_is_shown_first_and_records_only_the_check(
    client_for, alice, jane, after_answer
):
    client = client_for(alice)
    rejected = subscriber_271().replace("EB*1**35", "AAA*N**72*C")
    before = snapshot(jane.practice)
    preview = upload_271(client, jane.coverage, rejected)

    page = client.get(preview).content.decode()

    assert "<strong>Not active.</strong>" in page
    assert "invalid member ID (72)" in page
    client.post(preview.split("?")[0], {"token": preview.split("token=")[1]})
    check = EligibilityCheck.objects.get()
    assert check.active is False
    assert check.summary["inactive_reason"] == "invalid member ID (72)"
    assert snapshot(jane.practice)[:4] == before[:4]
    assert snapshot(jane.practice)[5] == before[5]


def test_a_different_member_id_or_group_number_is_a_warning(
    client_for, alice, practice, after_answer
):
    jane = jane_doe(practice, member_id="W000000001")
    jane.group_plan.group_number = "G999"
    jane.group_plan.save()
    client = client_for(alice)

    page = client.get(upload_271(client, jane.coverage)).content.decode()

    assert "The payer&#x27;s member ID W123456789 differs from ours (W000000001)." in page
    assert "group number G100200 differs from the group plan&#x27;s (G999)" in page


def test_an_answer_about_someone_else_adds_no_history(client_for, alice, jane, after_answer):
    jane.patient.birth_date = datetime.date(1986, 4, 12)
    jane.patient.save()
    client = client_for(alice)

    page = client.get(upload_271(client, jane.coverage)).content.decode()
    import_271(client, jane.coverage)

    assert "The answer is about JANE DOE, born 04/12/1985, not Jane Doe" in page
    assert not InsuranceHistory.objects.exists()
    assert _rows(jane.group_plan) == SAMPLE_ROWS


def test_an_expired_import_goes_back_to_the_upload(client_for, alice, jane):
    response = client_for(alice).post(url("import_271_preview", jane.coverage), {"token": "x"})

    assert response.status_code == 302
    assert response["Location"] == url("import_271", jane.coverage)


# --- Phone ---------------------------------------------------------------------------------------


def _limits(jane) -> None:
    for kind, amount in (("maximum", "1500.00"), ("deductible", "50.00")):
        Benefit.objects.create(
            practice=jane.practice,
            group_plan=jane.group_plan,
            kind=kind,
            scope="general",
            amount=Decimal(amount),
            level="individual",
            period="benefit_year",
        )


def _call(**changes) -> dict:
    return {
        "spoke_with": "Pat at provider services",
        "reference_number": "REF-7781",
        "checked_on": "2025-01-18",
        "active": "yes",
        "maximum_remaining": "1000.00",
        "deductible_remaining": "0",
        "notes": "Prophy 2 per year, last 08/12/2024.",
        **changes,
    }


def test_a_phone_check_records_usage_and_the_verification(client_for, erin, jane, after_answer):
    _limits(jane)

    response = client_for(erin).post(url("phone_check", jane.coverage), _call())

    assert response.status_code == 302
    day = datetime.date(2025, 1, 18)
    assert _history(jane.coverage) == [
        ("benefits_used", "", day, Decimal("0.00"), Decimal("50.00"), "phone"),
        ("benefits_used", "", day, Decimal("500.00"), Decimal("0.00"), "phone"),
    ]
    jane.group_plan.refresh_from_db()
    assert (jane.group_plan.benefits_source, jane.group_plan.benefits_updated_on) == (
        "manual",
        day,
    )
    check = EligibilityCheck.objects.get()
    assert (check.kind, check.active, check.spoke_with, check.reference_number) == (
        "phone",
        True,
        "Pat at provider services",
        "REF-7781",
    )
    assert check.notes == "Prophy 2 per year, last 08/12/2024."
    assert audit_actions(jane.practice)[-1] == "insurance.eligibility_phone_recorded"


def test_a_later_check_replaces_what_a_call_recorded(client_for, alice, jane, after_answer):
    _limits(jane)
    client = client_for(alice)
    client.post(url("phone_check", jane.coverage), _call(checked_on="2025-01-10"))

    import_271(client, jane.coverage)

    assert [(e[3], e[4], e[5]) for e in _history(jane.coverage, kind="benefits_used")] == [
        (Decimal("0.00"), Decimal("30.00"), "eligibility_271"),
        (Decimal("420.00"), Decimal("0.00"), "eligibility_271"),
    ]


def test_a_phone_check_needs_the_limits_on_file(client_for, alice, jane, after_answer):
    before = snapshot(jane.practice)

    response = client_for(alice).post(url("phone_check", jane.coverage), _call())

    assert response.status_code == 422
    assert "The group plan has no annual maximum on file" in response.content.decode()
    assert snapshot(jane.practice) == before


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"maximum_remaining": "1600.00"}, "More than the plan&#x27;s annual maximum (1500.00)."),
        ({"spoke_with": ""}, "This field is required."),
        ({"checked_on": "2025-02-01"}, "The call has happened: not a future date."),
        ({"active": ""}, "This field is required."),
        ({"deductible_remaining": "-5"}, "An amount cannot be negative."),
    ],
)
def test_bad_phone_answers_change_nothing(client_for, alice, jane, after_answer, changes, message):
    _limits(jane)
    before = snapshot(jane.practice)

    response = client_for(alice).post(url("phone_check", jane.coverage), _call(**changes))

    assert response.status_code == 422
    assert message in response.content.decode()
    assert snapshot(jane.practice) == before


def test_an_inactive_call_records_only_the_check(client_for, alice, jane, after_answer):
    _limits(jane)

    client_for(alice).post(url("phone_check", jane.coverage), _call(active="no"))

    assert not InsuranceHistory.objects.exists()
    assert EligibilityCheck.objects.get().active is False
    jane.group_plan.refresh_from_db()
    assert jane.group_plan.benefits_source == "assumed"


# --- Reading checks, roles and the audit trail ---------------------------------------------------


def test_the_insurance_page_lists_checks_newest_first(client_for, alice, dave, jane, after_answer):
    _limits(jane)
    client = client_for(alice)
    client.post(url("phone_check", jane.coverage), _call(checked_on="2025-01-10"))
    EligibilityCheck.objects.update(recorded_at=datetime.datetime(2025, 1, 10, tzinfo=datetime.UTC))
    import_271(client, jane.coverage)

    page = client_for(dave).get(page_url(jane.patient)).content.decode()

    assert page.index("Electronic (270/271)") < page.index("Phone call")
    check = EligibilityCheck.objects.get(kind="x12")
    detail = client_for(dave).get(url("check_detail", jane.coverage, check_id=check.pk))
    assert detail.status_code == 200
    assert b"MISSING TOOTH CLAUSE APPLIES" in detail.content
    assert b"Download the 270" not in detail.content


def test_a_dentist_reads_but_does_not_verify(client_for, dave, jane):
    client = client_for(dave)

    assert client.get(page_url(jane.patient)).status_code == 200
    assert client.post(url("request_270", jane.coverage)).status_code == 403
    assert client.get(url("import_271", jane.coverage)).status_code == 403
    assert client.get(url("phone_check", jane.coverage)).status_code == 403


def test_the_audit_trail_names_fields_never_values(client_for, alice, jane, after_answer):
    _limits(jane)
    client = client_for(alice)
    client.post(url("request_270", jane.coverage))
    import_271(client, jane.coverage)
    client.post(url("phone_check", jane.coverage), _call())

    events = AuditEvent.objects.filter(practice=jane.practice, action__startswith="insurance.")
    assert {e.action for e in events} == {
        "insurance.eligibility_requested",
        "insurance.eligibility_270_downloaded",
        "insurance.eligibility_imported",
        "insurance.eligibility_phone_recorded",
    }
    assert all(e.patient_id == jane.patient.pk for e in events)
    details = json.dumps([e.detail for e in events])
    for value in ("W123456789", "420", "1000", "Pat", "REF-7781", "2025", "DOE", "G100200"):
        assert value not in details


@pytest.mark.parametrize(
    ("npi", "submitter", "status", "message"),
    [
        ("1234567890", "SMILE01", 422, "This is not a valid NPI: its check digit does not match."),
        ("12345", "SMILE01", 422, "An NPI is 10 digits."),
        ("1234567893", "SMILE 01", 422, "Letters and digits only."),
        ("1234-567-893", "smile01", 302, ""),
    ],
)
def test_the_practice_settings_take_a_checked_npi_and_a_submitter_id(
    client_for, bob, practice, npi, submitter, status, message
):
    data = {"name": practice.name, "timezone": practice.timezone, "phone": "", "email": ""}

    response = client_for(bob).post(
        f"/p/{practice.slug}/settings/", {**data, "npi": npi, "x12_submitter_id": submitter}
    )

    assert response.status_code == status
    practice.refresh_from_db()
    if status == 422:
        assert message in response.content.decode()
        assert (practice.npi, practice.x12_submitter_id) == ("", "")
    else:
        assert (practice.npi, practice.x12_submitter_id) == ("1234567893", "SMILE01")
