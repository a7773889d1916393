"""Validating a whole practice document before anything is written.

`validate(document)` reads every section, collects every problem (with its PATH) and returns an
`ImportPlan` of clean values. It only reads the database, to catch conflicts with the staff the
practice already has. A later section (plans, presentations, ...) adds a reader to `SECTIONS`
and a field to `ImportPlan`; readers run in file order, so a plan can look up the patients read
before it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from coordinator.importing import fields as f
from coordinator.importing.fields import Field, Problem
from coordinator.models import Membership, Practice, User
from coordinator.roles import Role
from patients.models import BestTime, ContactChannel
from plans.catalog import category_for_code
from plans.models import Category

FORMAT = "coordinator-practice/1"

# Sections of the contract that later issues implement: present and non-empty is an error.
NOT_YET_SUPPORTED = {
    "plans": "plans",
    "presentations": "presentations",
    "decisions": "decisions",
    "follow_ups": "follow-ups",
    "completed": "completed procedures",
}


@dataclass(frozen=True)
class OrganizationData:
    slug: str
    name: str


@dataclass(frozen=True)
class PracticeData:
    slug: str
    name: str
    timezone: str
    organization: OrganizationData | None
    # phone, email, address: only those present in the file.
    contact: dict[str, str]


@dataclass(frozen=True)
class StaffData:
    ref: str
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class ProcedureCodeData:
    code: str
    description: str
    fee: Decimal
    category: str | None  # None: derived from the code for a new entry, kept for an existing one
    minutes: int | None  # None: 30 for a new entry, kept for an existing one


@dataclass(frozen=True)
class PatientData:
    ref: str
    # Only the fields present in the file: an absent field keeps what the practice has.
    values: dict[str, Any]


@dataclass
class ImportPlan:
    """Everything the document says, cleaned; `apply` writes it."""

    practice: PracticeData
    existing_practice: Practice | None = None
    staff: list[StaffData] = field(default_factory=list)
    procedure_codes: list[ProcedureCodeData] = field(default_factory=list)
    patients: list[PatientData] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Records in the file, by section, in the words of the summary line."""
        return {
            "staff": len(self.staff),
            "procedure codes": len(self.procedure_codes),
            "patients": len(self.patients),
        }

    def summary(self) -> str:
        """`smile-dental: 3 staff, 20 procedure codes, 120 patients` (records in the file)."""
        counts = []
        for words, n in self.counts().items():
            singular = words.removesuffix("s") if words != "staff" else words
            counts.append(f"{n} {singular if n == 1 else words}")
        return f"{self.practice.slug}: {', '.join(counts)}"


def _procedure_code(value: Any) -> str:
    code = f.text(5)(value)
    try:
        category_for_code(code)
    except ValueError as error:
        raise f.Invalid(str(error).rstrip(".")) from None
    return code


PRACTICE_SPEC: f.Spec = {
    "slug": Field(f.slug, required=True),
    "name": Field(f.text(200), required=True),
    "timezone": Field(f.time_zone, required=True),
    "organization": {
        "slug": Field(f.slug, required=True),
        "name": Field(f.text(200), required=True),
    },
    "phone": Field(f.phone),
    "email": Field(f.email(blank=True)),
    "address": Field(f.text(1000, blank=True)),
}

STAFF_SPEC: f.Spec = {
    "ref": Field(f.ref, required=True),
    "name": Field(f.text(150), required=True),
    "email": Field(f.email(), required=True),
    "role": Field(f.choice(Role.values, "a role"), required=True),
}

PROCEDURE_CODE_SPEC: f.Spec = {
    "code": Field(_procedure_code, required=True),
    "category": Field(f.choice(Category.values, "a category")),
    "description": Field(f.text(200), required=True),
    "fee": Field(f.money, required=True),
    "minutes": Field(f.minutes),
}

PATIENT_SPEC: f.Spec = {
    "ref": Field(f.ref, required=True),
    "first_name": Field(f.text(100), required=True),
    "last_name": Field(f.text(100), required=True),
    "preferred_name": Field(f.text(100, blank=True)),
    "birth_date": Field(f.birth_date),
    "email": Field(f.email(blank=True)),
    "phone": Field(f.phone),
    "preferred_contact": Field(f.choice(ContactChannel.values, "a contact channel")),
    "best_time": Field(f.choice(BestTime.values, "a time of day")),
    "email_consent": Field(f.boolean),
    "sms_consent": Field(f.boolean),
    "unencrypted_email_consent": Field(f.boolean),
    "archived": Field(f.boolean),
}


def validate(document: Any) -> tuple[ImportPlan | None, list[Problem]]:
    """The plan of what to write, or None and every problem found."""
    problems: list[Problem] = []
    if not isinstance(document, dict):
        return None, [Problem("document", "must be a JSON object ({...})")]
    known = ["format", "practice", *SECTIONS, *NOT_YET_SUPPORTED]
    for key in document:
        if key not in known:
            problems.append(Problem(key, f"unknown section (expected {', '.join(known)})"))
    if "format" not in document:
        problems.append(Problem("format", f'required ("{FORMAT}")'))
    elif document["format"] != FORMAT:
        problems.append(
            Problem(
                "format", f'{f.quoted(document["format"])} is not supported (expected "{FORMAT}")'
            )
        )
    for key, words in NOT_YET_SUPPORTED.items():
        if document.get(key):
            problems.append(Problem(key, f"importing {words} is not supported yet"))

    practice = None
    if "practice" not in document:
        problems.append(Problem("practice", "required"))
    else:
        practice = _read_practice(document["practice"], problems)
    plan = ImportPlan(practice=practice)
    if practice is not None:
        plan.existing_practice = Practice.objects.filter(slug=practice.slug).first()
    for key, read_section in SECTIONS.items():
        read_section(f.read_list(document, key, problems), plan, problems)
    if problems:
        return None, problems
    return plan, []


def _read_records(records: list, section: str, spec: f.Spec, problems: list[Problem]):
    """(path, cleaned record) of each valid record; problems of the others are recorded."""
    valid = []
    for index, record in enumerate(records):
        path = f"{section}[{index}]"
        before = len(problems)
        cleaned = f.read_record(record, path, spec, problems)
        if cleaned is not None and len(problems) == before:
            valid.append((path, cleaned))
    return valid


def _raw_values(records: list, section: str, key: str) -> list[tuple[str, Any]]:
    """(path, value) of `key` in every record that has it as text, for duplicate checks."""
    return [
        (f"{section}[{index}]", record[key])
        for index, record in enumerate(records)
        if isinstance(record, dict) and isinstance(record.get(key), str)
    ]


def _read_practice(value: Any, problems: list[Problem]) -> PracticeData | None:
    before = len(problems)
    cleaned = f.read_record(value, "practice", PRACTICE_SPEC, problems)
    if cleaned is None or len(problems) > before:
        return None
    organization = cleaned.get("organization")
    return PracticeData(
        slug=cleaned["slug"],
        name=cleaned["name"],
        timezone=cleaned["timezone"],
        organization=OrganizationData(**organization) if organization else None,
        contact={key: cleaned[key] for key in ("phone", "email", "address") if key in cleaned},
    )


def _read_staff(records: list, plan: ImportPlan, problems: list[Problem]) -> None:
    for path, cleaned in _read_records(records, "staff", STAFF_SPEC, problems):
        cleaned["email"] = cleaned["email"].lower()
        plan.staff.append(StaffData(**cleaned))
        if plan.existing_practice is not None:
            _check_existing_staff(plan.existing_practice, plan.staff[-1], path, problems)
    f.find_duplicates(_raw_values(records, "staff", "ref"), "ref", problems)
    emails = [(path, value.strip()) for path, value in _raw_values(records, "staff", "email")]
    f.find_duplicates(emails, "email", problems, case_sensitive=False)


def _check_existing_staff(
    practice: Practice, staff: StaffData, path: str, problems: list[Problem]
) -> None:
    """A ref and an email must not point at two different people the practice already has."""
    by_ref = (
        Membership.objects.filter(practice=practice, ref=staff.ref).select_related("user").first()
    )
    if by_ref is not None:
        if by_ref.user.email != staff.email:
            problems.append(
                Problem(
                    f"{path}.email",
                    f"staff {f.quoted(staff.ref)} signs in here as {f.quoted(by_ref.user.email)}: "
                    "an import does not change how someone signs in",
                )
            )
        return
    user = User.objects.filter(email=staff.email).first()
    membership = user and Membership.objects.filter(practice=practice, user=user).first()
    if membership and membership.ref:
        problems.append(
            Problem(
                f"{path}.ref",
                f"{f.quoted(staff.email)} already works here as staff {f.quoted(membership.ref)}",
            )
        )


def _read_procedure_codes(records: list, plan: ImportPlan, problems: list[Problem]) -> None:
    for _path, cleaned in _read_records(records, "procedure_codes", PROCEDURE_CODE_SPEC, problems):
        plan.procedure_codes.append(
            ProcedureCodeData(
                code=cleaned["code"],
                description=cleaned["description"],
                fee=cleaned["fee"],
                category=cleaned.get("category"),
                minutes=cleaned.get("minutes"),
            )
        )
    f.find_duplicates(_raw_values(records, "procedure_codes", "code"), "code", problems)


def _read_patients(records: list, plan: ImportPlan, problems: list[Problem]) -> None:
    for _path, cleaned in _read_records(records, "patients", PATIENT_SPEC, problems):
        ref = cleaned.pop("ref")
        plan.patients.append(PatientData(ref=ref, values=cleaned))
    f.find_duplicates(_raw_values(records, "patients", "ref"), "ref", problems)


# Sections in the order they are read: later ones may refer to records of earlier ones.
SECTIONS: dict[str, Callable[[list, ImportPlan, list[Problem]], None]] = {
    "staff": _read_staff,
    "procedure_codes": _read_procedure_codes,
    "patients": _read_patients,
}
