"""Validating a whole practice document before anything is written.

`validate(document)` reads every section, collects every problem (with its PATH) and returns an
`ImportPlan` of clean values. It only reads the database, to catch conflicts with what the
practice already has and to resolve references to it. Each section has a reader in `SECTIONS`
and a field in `ImportPlan`; readers run in the contract's order, so a plan can look up the
patients read before it (the treatment sections are read in plan_sections.py).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from coordinator.importing import fields as f
from coordinator.importing import plan_sections
from coordinator.importing.fields import Field, Problem
from coordinator.importing.plan_sections import (
    CompletionData,
    DecisionData,
    Existing,
    FollowUpData,
    KnownPlan,
    KnownProcedure,
    PlanData,
    PresentationData,
)
from coordinator.models import Membership, Practice, User
from coordinator.roles import Role
from patients.models import BestTime, ContactChannel
from plans.models import Category

FORMAT = "coordinator-practice/1"

# The contract's sections, in its order.
SECTION_NAMES = (
    "staff",
    "procedure_codes",
    "patients",
    "plans",
    "presentations",
    "decisions",
    "follow_ups",
    "completed",
)


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
    plans: list[PlanData] = field(default_factory=list)
    presentations: list[PresentationData] = field(default_factory=list)
    decisions: list[DecisionData] = field(default_factory=list)
    follow_ups: list[FollowUpData] = field(default_factory=list)
    completed: list[CompletionData] = field(default_factory=list)
    # Lookups of what the practice already has, filled while reading (refs the file mentions).
    existing: Existing = field(default_factory=lambda: Existing(None))
    known_plans: dict[str, KnownPlan] = field(default_factory=dict)
    known_procedures: dict[str, KnownProcedure] = field(default_factory=dict)
    # What each section of the file names, for references (plan_sections.refs_in).
    refs: dict[str, set[str]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Records in the file, by section, in the words of the summary line."""
        return {
            "staff": len(self.staff),
            "procedure codes": len(self.procedure_codes),
            "patients": len(self.patients),
            "plans": len(self.plans),
            "presentations": len(self.presentations),
            "decisions": len(self.decisions),
            "follow-ups": len(self.follow_ups),
            "completed procedures": len(self.completed),
        }

    def summary(self) -> str:
        """`smile-dental: 3 staff, 20 procedure codes, 120 patients, 95 plans, ...` (records
        in the file)."""
        counts = []
        for words, n in self.counts().items():
            singular = words.removesuffix("s") if words != "staff" else words
            counts.append(f"{n} {singular if n == 1 else words}")
        return f"{self.practice.slug}: {', '.join(counts)}"


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
    "code": Field(f.procedure_code, required=True),
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
    known = ["format", "practice", *SECTION_NAMES]
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

    practice = None
    if "practice" not in document:
        problems.append(Problem("practice", "required"))
    else:
        practice = _read_practice(document["practice"], problems)
    plan = ImportPlan(practice=practice, refs=plan_sections.refs_in(document))
    if practice is not None:
        plan.existing_practice = Practice.objects.filter(slug=practice.slug).first()
        plan.existing = Existing(plan.existing_practice)
    for key, read_section in SECTIONS.items():
        read_section(f.read_list(document, key, problems), plan, problems)
    if problems:
        return None, problems
    return plan, []


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
    for path, cleaned in f.read_records(records, "staff", STAFF_SPEC, problems):
        cleaned["email"] = cleaned["email"].lower()
        plan.staff.append(StaffData(**cleaned))
        if plan.existing_practice is not None:
            _check_existing_staff(plan.existing_practice, plan.staff[-1], path, problems)
    f.find_duplicates(f.raw_values(records, "staff", "ref"), "ref", problems)
    emails = [(path, value.strip()) for path, value in f.raw_values(records, "staff", "email")]
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
    for _path, cleaned in f.read_records(records, "procedure_codes", PROCEDURE_CODE_SPEC, problems):
        plan.procedure_codes.append(
            ProcedureCodeData(
                code=cleaned["code"],
                description=cleaned["description"],
                fee=cleaned["fee"],
                category=cleaned.get("category"),
                minutes=cleaned.get("minutes"),
            )
        )
    f.find_duplicates(f.raw_values(records, "procedure_codes", "code"), "code", problems)


def _read_patients(records: list, plan: ImportPlan, problems: list[Problem]) -> None:
    for _path, cleaned in f.read_records(records, "patients", PATIENT_SPEC, problems):
        ref = cleaned.pop("ref")
        plan.patients.append(PatientData(ref=ref, values=cleaned))
    f.find_duplicates(f.raw_values(records, "patients", "ref"), "ref", problems)


# Sections in the order they are read: later ones may refer to records of earlier ones.
SECTIONS: dict[str, Callable[[list, ImportPlan, list[Problem]], None]] = {
    "staff": _read_staff,
    "procedure_codes": _read_procedure_codes,
    "patients": _read_patients,
    "plans": plan_sections.read_plans,
    "presentations": plan_sections.read_presentations,
    "decisions": plan_sections.read_decisions,
    "follow_ups": plan_sections.read_follow_ups,
    "completed": plan_sections.read_completed,
}
