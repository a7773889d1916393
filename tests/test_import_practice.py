"""import_practice as the contract (shared/contracts/practice-import.md) says it works."""

import copy
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from coordinator.importing import read_document
from coordinator.models import AuditEvent, Membership, Organization, Practice, User
from patients.models import Patient
from plans.models import ProcedureCode

ROOT = Path(__file__).resolve().parent.parent

DOCUMENT = {
    "format": "coordinator-practice/1",
    "practice": {"slug": "smile-dental", "name": "Smile Dental", "timezone": "America/Chicago"},
    "staff": [
        {"ref": "anna", "name": "Anna Lee", "email": "anna@smile.example", "role": "coordinator"},
        {"ref": "dr-kim", "name": "Jane Kim, DDS", "email": "Kim@Smile.example", "role": "dentist"},
    ],
    "procedure_codes": [
        {
            "code": "D2740",
            "category": "crowns",
            "description": "Tooth-colored crown",
            "fee": "1250.00",
            "minutes": 90,
        },
        {"code": "D1110", "description": "Cleaning for adults", "fee": "115.00"},
    ],
    "patients": [
        {
            "ref": "pt-1",
            "first_name": "Maria",
            "last_name": "Gomez",
            "birth_date": "1979-04-02",
            "email": "maria@example.com",
            "phone": "(312) 555-0100",
            "email_consent": True,
            "sms_consent": False,
        },
        {"ref": "pt-2", "first_name": "Leo", "last_name": "Park"},
    ],
}
SUMMARY = (
    "imported smile-dental: 2 staff, 2 procedure codes, 2 patients, 0 plans, 0 presentations, "
    "0 decisions, 0 follow-ups, 0 completed procedures"
)


@dataclass
class Outcome:
    code: int
    stdout: str
    errors: list[str]


def document(**sections) -> dict:
    """A fresh copy of DOCUMENT with some sections replaced."""
    return {**copy.deepcopy(DOCUMENT), **sections}


def run_import(doc=None, *args, text: str | None = None) -> Outcome:
    """The command on standard input (`-`); the exit status as the shell would see it."""
    stdin = io.StringIO(json.dumps(doc if doc is not None else DOCUMENT) if text is None else text)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_practice", "-", *args, stdin=stdin, stdout=stdout, stderr=stderr)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return Outcome(code, stdout.getvalue(), stderr.getvalue().splitlines())


def row_counts() -> dict:
    with scopes_disabled():
        return {
            "practices": Practice.objects.count(),
            "users": User.objects.count(),
            "memberships": Membership.objects.count(),
            "codes": ProcedureCode.objects.count(),
            "patients": Patient.objects.count(),
            "audit": AuditEvent.objects.count(),
        }


def imported_patient(ref: str, slug: str = "smile-dental") -> Patient:
    with scopes_disabled():
        return Patient.objects.get(practice__slug=slug, ref=ref)


# --- Success -------------------------------------------------------------------------------


def test_import_creates_the_practice_staff_catalog_and_patients(db):
    outcome = run_import()

    assert (outcome.code, outcome.stdout, outcome.errors) == (0, SUMMARY + "\n", [])
    practice = Practice.objects.get(slug="smile-dental")
    assert (practice.name, practice.timezone) == ("Smile Dental", "America/Chicago")
    staff = {m.ref: m for m in Membership.objects.filter(practice=practice).select_related("user")}
    assert staff["anna"].role == "coordinator"
    assert (staff["dr-kim"].user.email, staff["dr-kim"].user.name) == (
        "kim@smile.example",
        "Jane Kim, DDS",
    )
    with scopes_disabled():
        crown = ProcedureCode.objects.get(practice=practice, code="D2740")
        cleaning = ProcedureCode.objects.get(practice=practice, code="D1110")
    assert (crown.category, crown.fee, crown.minutes) == ("crowns", Decimal("1250.00"), 90)
    # Category from the code range, minutes by default.
    assert (cleaning.category, cleaning.minutes) == ("preventive", 30)
    maria = imported_patient("pt-1")
    assert maria.full_name == "Maria Gomez"
    assert maria.birth_date.isoformat() == "1979-04-02"
    assert maria.phone == "+13125550100"
    assert (maria.email_consent, maria.sms_consent) == (True, False)
    leo = imported_patient("pt-2")
    assert (leo.birth_date, leo.email, leo.phone, leo.email_consent) == (None, "", "", False)


def test_imported_staff_have_no_usable_password(db):
    run_import()

    for email in ("anna@smile.example", "kim@smile.example"):
        assert not User.objects.get(email=email).has_usable_password()


def test_import_writes_a_summary_event_and_one_event_per_patient(db):
    run_import()

    with scopes_disabled():
        events = list(AuditEvent.objects.filter(system_actor="command:import_practice"))
        patients = {p.pk: p.ref for p in Patient.objects.all()}
    by_action = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    (summary,) = by_action["practice.imported"]
    assert summary.detail["records"] == {
        "staff": 2,
        "procedure_codes": 2,
        "patients": 2,
        "plans": 0,
        "presentations": 0,
        "decisions": 0,
        "follow_ups": 0,
        "completed_procedures": 0,
    }
    assert summary.detail["created"] == {
        "practice": 1,
        "staff": 2,
        "procedure_codes": 2,
        "patients": 2,
    }
    patient_events = by_action["patient.imported"]
    assert {patients[e.patient_id] for e in patient_events} == {"pt-1", "pt-2"}
    maria_event = next(e for e in patient_events if patients[e.patient_id] == "pt-1")
    assert maria_event.detail == {
        "fields": ["birth_date", "email", "email_consent", "first_name", "last_name", "phone"],
        "created": True,
    }
    assert len(by_action["staff.imported"]) == 2


def test_audit_events_never_hold_patient_values(db):
    run_import()

    with scopes_disabled():
        stored = json.dumps(
            [
                [e.action, e.object_type, e.object_id, e.system_actor, e.user_agent, e.detail]
                for e in AuditEvent.objects.all()
            ]
        )
    for value in ("Maria", "Gomez", "1979", "maria@example.com", "555", "Leo", "Park"):
        assert value not in stored


def test_importing_the_same_file_again_changes_nothing(db):
    run_import()
    before = row_counts()
    maria_updated_at = imported_patient("pt-1").updated_at

    with CaptureQueriesContext(connection) as queries:
        outcome = run_import()

    assert (outcome.code, outcome.stdout) == (0, SUMMARY + "\n")
    assert row_counts() == before
    assert imported_patient("pt-1").updated_at == maria_updated_at
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_a_changed_record_is_updated_not_duplicated(db):
    run_import()
    before = row_counts()
    with scopes_disabled():
        last_event = AuditEvent.objects.order_by("id").last().id
    changed = document()
    changed["practice"]["name"] = "Smile Dental Care"
    changed["staff"][0]["role"] = "office_manager"
    changed["procedure_codes"][0]["fee"] = "1295.00"
    changed["patients"][0]["phone"] = "+1 773 555 0142"

    outcome = run_import(changed, "-v", "2")

    assert outcome.code == 0
    assert outcome.stdout.splitlines()[1] == (
        "created nothing; updated 1 staff, 1 procedure codes, 1 patients"
    )
    assert Practice.objects.get(slug="smile-dental").name == "Smile Dental Care"
    assert Membership.objects.get(ref="anna").role == "office_manager"
    with scopes_disabled():
        assert ProcedureCode.objects.get(code="D2740").fee == Decimal("1295.00")
        new_events = list(AuditEvent.objects.filter(id__gt=last_event))
    assert imported_patient("pt-1").phone == "+17735550142"
    counts = row_counts()
    assert {k: v for k, v in counts.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    patient_events = [e for e in new_events if e.action == "patient.imported"]
    assert [e.detail for e in patient_events] == [{"fields": ["phone"], "created": False}]
    summary = next(e for e in new_events if e.action == "practice.imported")
    assert summary.detail["practice_fields"] == ["name"]


def test_an_absent_optional_field_keeps_the_stored_value_and_null_clears_it(db):
    run_import()
    without_phone = document()
    del without_phone["patients"][0]["phone"]
    run_import(without_phone)
    assert imported_patient("pt-1").phone == "+13125550100"

    cleared = document()
    cleared["patients"][0]["phone"] = None
    cleared["patients"][0]["birth_date"] = None
    run_import(cleared)
    maria = imported_patient("pt-1")
    assert (maria.phone, maria.birth_date) == ("", None)


def test_optional_extension_fields(db):
    downtown = document(
        practice={
            "slug": "smile-downtown",
            "name": "Smile Downtown",
            "timezone": "America/New_York",
            "organization": {"slug": "smile-group", "name": "Smile Group"},
            "phone": "312-555-0100",
            "email": "front@smile.example",
            "address": "1 Main St",
        },
        patients=[
            {
                "ref": "pt-1",
                "first_name": "William",
                "last_name": "Stone",
                "preferred_name": "Bill",
                "preferred_contact": "sms",
                "best_time": "evening",
                "sms_consent": True,
                "unencrypted_email_consent": True,
                "archived": True,
            },
        ],
    )
    uptown = document(
        practice={
            "slug": "smile-uptown",
            "name": "Smile Uptown",
            "timezone": "America/Chicago",
            "organization": {"slug": "smile-group", "name": "Smile Group"},
        },
    )

    assert run_import(downtown).code == 0
    assert run_import(uptown).code == 0

    group = Organization.objects.get(slug="smile-group")
    assert sorted(group.practices.values_list("slug", flat=True)) == [
        "smile-downtown",
        "smile-uptown",
    ]
    practice = Practice.objects.get(slug="smile-downtown")
    assert (practice.phone, practice.email, practice.address) == (
        "+13125550100",
        "front@smile.example",
        "1 Main St",
    )
    bill = imported_patient("pt-1", "smile-downtown")
    assert (bill.preferred_name, bill.preferred_contact, bill.best_time) == (
        "Bill",
        "sms",
        "evening",
    )
    assert bill.unencrypted_email_consent
    assert bill.is_archived
    # The same staff in both files: one account, a membership at each location.
    assert User.objects.get(email="anna@smile.example").memberships.count() == 2

    restored = copy.deepcopy(downtown)
    restored["patients"][0].update(archived=False, unencrypted_email_consent=False)
    run_import(restored)
    bill = imported_patient("pt-1", "smile-downtown")
    assert not bill.is_archived
    assert not bill.unencrypted_email_consent


def test_an_existing_practice_gets_the_new_records_and_keeps_the_others(practice, alice):
    doc = document(
        practice={"slug": "smile-north", "name": "Smile North Dental", "timezone": "America/Denver"}
    )

    assert run_import(doc).code == 0

    practice.refresh_from_db()
    assert practice.timezone == "America/Denver"
    assert practice.memberships.count() == 3  # alice stays
    with scopes_disabled():
        assert Patient.objects.filter(practice=practice).count() == 2


def test_an_email_of_a_user_at_another_practice_attaches_a_membership(charlie, other_practice):
    doc = document()
    doc["staff"][0]["email"] = "Charlie@Bright.example"
    users_before = User.objects.count()

    assert run_import(doc).code == 0

    assert User.objects.count() == users_before + 1  # only dr-kim is new
    charlie.refresh_from_db()
    assert sorted(charlie.memberships.values_list("practice__slug", "role")) == [
        ("bright-south", "coordinator"),
        ("smile-dental", "coordinator"),
    ]
    assert charlie.has_usable_password()
    assert charlie.name == "Charlie Outsider"  # an account shared with another practice


def test_a_member_added_in_the_app_is_adopted_under_the_files_ref(practice, alice):
    doc = document(
        practice={
            "slug": "smile-north",
            "name": "Smile North Dental",
            "timezone": "America/Chicago",
        },
        staff=[
            {
                "ref": "A-17",
                "name": "Alice Coordinator",
                "email": "alice@smile.example",
                "role": "coordinator",
            }
        ],
    )

    assert run_import(doc).code == 0

    assert list(alice.memberships.values_list("practice__slug", "ref")) == [("smile-north", "A-17")]


def test_money_is_read_as_decimal_never_float(tmp_path):
    path = tmp_path / "practice.json"
    path.write_text('{"fee": 0.10, "fees": [1.005]}')

    parsed = read_document(str(path), io.StringIO())

    assert parsed == {"fee": Decimal("0.10"), "fees": [Decimal("1.005")]}


# --- Options -------------------------------------------------------------------------------


def test_dry_run_validates_prints_the_summary_and_writes_nothing(db):
    outcome = run_import(DOCUMENT, "--dry-run")

    assert outcome.code == 0
    assert outcome.stdout == (
        "dry run, nothing written: would import smile-dental: 2 staff, 2 procedure codes, "
        "2 patients, 0 plans, 0 presentations, 0 decisions, 0 follow-ups, "
        "0 completed procedures\n"
    )
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_dry_run_of_a_bad_file_reports_the_problems(db):
    doc = document()
    doc["patients"][0]["phone"] = "555"

    outcome = run_import(doc, "--dry-run")

    assert outcome.code == 2
    assert outcome.errors == ['patients[0].phone: "555" is not a valid phone number']


def test_a_file_path_works_like_stdin(db, tmp_path):
    path = tmp_path / "smile.json"
    path.write_text(json.dumps(DOCUMENT))
    stdout = io.StringIO()

    call_command("import_practice", str(path), stdout=stdout)

    assert stdout.getvalue() == SUMMARY + "\n"


# --- Errors: PATH: message, exit status 2, nothing written ---------------------------------


def _set(path: str, value):
    """A change to DOCUMENT: set `value` at a dotted path such as `patients.0.phone`."""

    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        target = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


DELETE = object()

ERRORS = [
    ("patients.0.phone", "555", 'patients[0].phone: "555" is not a valid phone number'),
    (
        "staff.0.role",
        "boss",
        'staff[0].role: "boss" is not a role (coordinator, dentist, front_desk, office_manager, '
        "owner)",
    ),
    ("staff.1.email", "kim@", 'staff[1].email: "kim@" is not an email address'),
    ("staff.0.ref", 17, 'staff[0].ref: must be text (put the id in quotes: "17")'),
    ("staff.1.name", "  ", "staff[1].name: must not be empty"),
    (
        "procedure_codes.0.fee",
        1250,
        'procedure_codes[0].fee: must be a string with two decimals, e.g. "1250.00"',
    ),
    (
        "procedure_codes.0.fee",
        "1250.5",
        'procedure_codes[0].fee: "1250.5" is not an amount (two decimals, e.g. "1250.00")',
    ),
    (
        "procedure_codes.0.code",
        "D274",
        'procedure_codes[0].code: "D274" is not a procedure code (D followed by four digits)',
    ),
    (
        "procedure_codes.1.category",
        "crown",
        'procedure_codes[1].category: "crown" is not a category (diagnostic, preventive, '
        "restorative, endodontics, periodontics, prosthodontics, implants, oral_surgery, "
        "orthodontics, adjunctive, crowns, other)",
    ),
    (
        "procedure_codes.0.minutes",
        0,
        "procedure_codes[0].minutes: 0 is not a number of minutes (a whole number, 1 to 1440)",
    ),
    (
        "patients.1.birth_date",
        "2999-01-01",
        'patients[1].birth_date: "2999-01-01" is in the future',
    ),
    (
        "patients.1.birth_date",
        "04/02/1979",
        'patients[1].birth_date: "04/02/1979" is not a date (YYYY-MM-DD, e.g. "1979-04-02")',
    ),
    ("patients.0.email", "maria@", 'patients[0].email: "maria@" is not an email address'),
    ("patients.0.email_consent", "yes", "patients[0].email_consent: must be true or false"),
    ("patients.1.last_name", DELETE, "patients[1].last_name: required"),
    ("patients.1.ref", "pt-1", 'patients[1].ref: "pt-1" is used twice (also patients[0])'),
    (
        "staff.1.email",
        "ANNA@smile.example",
        'staff[1].email: "ANNA@smile.example" is used twice (also staff[0])',
    ),
    (
        "procedure_codes.1.code",
        "D2740",
        'procedure_codes[1].code: "D2740" is used twice (also procedure_codes[0])',
    ),
    (
        "patients.1.preferred_contact",
        "fax",
        'patients[1].preferred_contact: "fax" is not a contact channel (phone, sms, email)',
    ),
    ("patients.1", "pt-2", "patients[1]: must be an object ({...})"),
    ("patients", {}, "patients: must be a list ([...])"),
    (
        "practice.timezone",
        "Mars/Base",
        'practice.timezone: "Mars/Base" is not a time zone (e.g. America/Chicago)',
    ),
    (
        "practice.slug",
        "Smile Dental",
        'practice.slug: "Smile Dental" is not a slug (lowercase letters, digits and dashes, '
        "e.g. smile-dental)",
    ),
    ("practice.organization", {"slug": "smile-group"}, "practice.organization.name: required"),
    ("practice", DELETE, "practice: required"),
    (
        "format",
        "coordinator-practice/2",
        'format: "coordinator-practice/2" is not supported (expected "coordinator-practice/1")',
    ),
    ("format", DELETE, 'format: required ("coordinator-practice/1")'),
    ("follow_ups", {"ref": "fu-1"}, "follow_ups: must be a list ([...])"),
]


@pytest.mark.parametrize(("path", "value", "error"), ERRORS, ids=[e[0] for e in ERRORS])
def test_a_bad_value_is_reported_with_its_path_and_nothing_is_written(db, path, value, error):
    doc = document()
    _set(path, value)(doc)

    outcome = run_import(doc)

    assert (outcome.code, outcome.stdout, outcome.errors) == (2, "", [error])
    assert row_counts() == dict.fromkeys(row_counts(), 0)


UNKNOWN_KEYS = [
    (
        "notes",
        "notes: unknown section (expected format, practice, staff, procedure_codes, "
        "patients, plans, presentations, decisions, follow_ups, completed)",
    ),
    (
        "practice.colour",
        "practice.colour: unknown field (expected slug, name, timezone, "
        "organization, phone, email, address)",
    ),
    (
        "practice.organization.owner",
        "practice.organization.owner: unknown field (expected slug, name)",
    ),
    ("staff.0.phone", "staff[0].phone: unknown field (expected ref, name, email, role)"),
    (
        "procedure_codes.0.fees",
        "procedure_codes[0].fees: unknown field (expected code, "
        "category, description, fee, minutes)",
    ),
    (
        "patients.1.nickname",
        "patients[1].nickname: unknown field (expected ref, first_name, "
        "last_name, preferred_name, birth_date, email, phone, preferred_contact, best_time, "
        "email_consent, sms_consent, unencrypted_email_consent, archived)",
    ),
]


@pytest.mark.parametrize(("path", "error"), UNKNOWN_KEYS, ids=[k[0] for k in UNKNOWN_KEYS])
def test_an_unknown_key_is_an_error_at_every_level(db, path, error):
    doc = document()
    doc["practice"]["organization"] = {"slug": "smile-group", "name": "Smile Group"}
    _set(path, "x")(doc)

    outcome = run_import(doc)

    assert (outcome.code, outcome.errors) == (2, [error])
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_every_problem_in_the_file_is_reported_at_once(db):
    doc = document()
    doc["staff"][0]["role"] = "boss"
    doc["procedure_codes"][1]["fee"] = "free"
    doc["patients"][0]["phone"] = "555"
    doc["patients"][1]["email"] = "leo@"
    doc["follow_ups"] = [{}]

    outcome = run_import(doc)

    assert outcome.code == 2
    assert [line.split(":")[0] for line in outcome.errors] == [
        "staff[0].role",
        "procedure_codes[1].fee",
        "patients[0].phone",
        "patients[1].email",
        "follow_ups[0].ref",
        "follow_ups[0].plan",
        "follow_ups[0].at",
        "follow_ups[0].channel",
        "follow_ups[0].outcome",
    ]


def test_empty_later_sections_are_accepted(db):
    empty = dict.fromkeys(["plans", "presentations", "decisions", "follow_ups", "completed"], [])

    assert run_import(document(**empty)).code == 0


def test_a_rejected_import_leaves_an_existing_practice_untouched(db):
    run_import()
    before = row_counts()
    doc = document()
    doc["practice"]["name"] = "Renamed"
    doc["patients"].append({"ref": "pt-3", "first_name": "New", "last_name": "Patient"})
    doc["patients"][0]["phone"] = "555"

    assert run_import(doc).code == 2

    assert row_counts() == before
    assert Practice.objects.get(slug="smile-dental").name == "Smile Dental"


def test_a_ref_of_existing_staff_with_another_email_is_an_error(db):
    run_import()
    doc = document()
    doc["staff"][0]["email"] = "anna.lee@smile.example"

    outcome = run_import(doc)

    assert (outcome.code, outcome.errors) == (
        2,
        [
            'staff[0].email: staff "anna" signs in here as "anna@smile.example": '
            "an import does not change how someone signs in"
        ],
    )


def test_an_email_already_working_here_under_another_ref_is_an_error(db):
    run_import()
    doc = document()
    doc["staff"][0]["ref"] = "anna-2"

    outcome = run_import(doc)

    assert (outcome.code, outcome.errors) == (
        2,
        ['staff[0].ref: "anna@smile.example" already works here as staff "anna"'],
    )


# --- Unreadable documents ------------------------------------------------------------------


def test_invalid_json_names_the_line_and_column(db):
    outcome = run_import(text='{\n  "format": "coordinator-practice/1",\n  "practice": ,\n}')

    assert outcome.code == 2
    assert outcome.errors == ["stdin: not valid JSON (line 3, column 15: Expecting value)"]


def test_a_missing_file_is_one_readable_line(db, tmp_path):
    stderr = io.StringIO()
    missing = tmp_path / "missing.json"

    with pytest.raises(SystemExit) as exit:
        call_command("import_practice", str(missing), stderr=stderr)

    assert exit.value.code == 2
    assert stderr.getvalue() == f"{missing}: no such file\n"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[]", "document: must be a JSON object ({...})"),
        (
            '{"format": "a", "format": "b"}',
            'stdin: not valid JSON (the key "format" appears twice in one object)',
        ),
        ('{"fee": NaN}', "stdin: not valid JSON (NaN is not a JSON value)"),
        ("", "stdin: not valid JSON (line 1, column 1: Expecting value)"),
    ],
)
def test_documents_that_are_not_an_object_of_json_are_rejected(db, text, error):
    outcome = run_import(text=text)

    assert (outcome.code, outcome.errors) == (2, [error])


def test_from_the_shell_a_bad_file_exits_2_without_a_traceback(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": 1,\n')

    completed = subprocess.run(
        [sys.executable, "manage.py", "import_practice", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 2
    assert completed.stderr == (
        f"{path}: not valid JSON (line 2, column 1: Expecting property name enclosed in double "
        "quotes)\n"
    )
    assert completed.stdout == ""
