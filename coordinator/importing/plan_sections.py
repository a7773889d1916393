"""Reading the treatment sections: plans (options, procedures), presentations, decisions,
follow-up touches and completed work.

Each reader checks its records field by field, then their references: a ref must name a record
earlier in the file or one the practice already has (looked up with one query per kind, for the
refs the file mentions). A ref the practice has under another plan, option or patient is an
error rather than a move.
"""

import datetime
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django_scopes import scope

from coordinator.importing import fields as f
from coordinator.importing.fields import Field, Problem
from coordinator.models import Membership, Practice
from patients.models import Patient
from plans.followup_models import Channel, Touch, TouchOutcome
from plans.models import (
    CompletedProcedure,
    DecisionKind,
    PlannedProcedure,
    Presentation,
    PresentationMode,
    ProcedureCode,
    TreatmentOption,
    TreatmentPlan,
)
from plans.teeth import SURFACE_LETTERS, area_problem, surfaces_problem, tooth_problem

if TYPE_CHECKING:
    from coordinator.importing.validation import ImportPlan

# The contract's reasons for a decline or a deferral. The app also records `other_option` when
# a patient chooses an alternative; a file names its declines with these.
REASONS = [
    "cost",
    "insurance",
    "waiting_for_benefits",
    "time",
    "fear",
    "co_decider",
    "second_opinion",
    "not_a_priority",
    "other",
]
MAX_PHASE = 20
# Queries with `ref IN (...)` go in chunks, well under any database's limit on parameters.
CHUNK = 500


@dataclass(frozen=True)
class ProcedureData:
    ref: str
    code: str
    tooth: str
    surfaces: str  # in the order M, O, D, B, L, I, F
    area: str
    fee: Decimal | None  # None: the catalog fee for a new procedure, kept for an existing one
    phase: int | None  # None: phase 1 for a new procedure, kept for an existing one


@dataclass(frozen=True)
class OptionData:
    ref: str
    name: str | None  # None: a default name for a new option, kept for an existing one
    recommended: bool
    procedures: tuple[ProcedureData, ...]


@dataclass(frozen=True)
class PlanData:
    ref: str
    patient: str
    dentist: str
    diagnosed_at: datetime.datetime
    options: tuple[OptionData, ...]


@dataclass(frozen=True)
class PresentationData:
    ref: str
    plan: str
    by: str
    at: datetime.datetime
    mode: str


@dataclass(frozen=True)
class DecisionData:
    procedure: str
    kind: str
    at: datetime.datetime
    reason: str


@dataclass(frozen=True)
class FollowUpData:
    """A follow-up touch: who reached out to the patient about a plan, when, how, and the
    outcome."""

    ref: str
    plan: str
    by: str | None  # None: sent automatically by the other system
    at: datetime.datetime
    channel: str
    outcome: str
    note: str | None  # None: "" for a new touch, kept for a known one


@dataclass(frozen=True)
class CompletionData:
    """Planned work (`procedure`) or work done outside any plan (`ref`, `patient`, `code`)."""

    on: datetime.date
    dentist: str | None  # planned work: None means the plan's dentist
    procedure: str | None = None
    ref: str | None = None
    patient: str | None = None
    code: str | None = None
    fee: Decimal | None = None  # outside a plan: None is the catalog fee (kept when known)


@dataclass(frozen=True)
class KnownPlan:
    id: uuid.UUID
    patient_ref: str


@dataclass(frozen=True)
class KnownProcedure:
    option_id: uuid.UUID
    option_ref: str
    plan_id: uuid.UUID


class Existing:
    """What the practice already has, looked up by the refs the file mentions."""

    def __init__(self, practice: Practice | None) -> None:
        self.practice = practice

    def _rows(self, model, field: str, values: Iterable[str], *columns: str) -> list[dict]:
        """`columns` of the practice's rows whose `field` is one of `values`."""
        values = sorted(set(values))
        if self.practice is None or not values:
            return []
        rows = []
        with scope(practice=self.practice):
            for start in range(0, len(values), CHUNK):
                rows.extend(
                    model.objects.filter(
                        practice=self.practice, **{f"{field}__in": values[start : start + CHUNK]}
                    ).values(*columns)
                )
        return rows

    def staff(self, refs: Iterable[str]) -> set[str]:
        return {row["ref"] for row in self._rows(Membership, "ref", refs, "ref")}

    def patients(self, refs: Iterable[str]) -> set[str]:
        return {row["ref"] for row in self._rows(Patient, "ref", refs, "ref")}

    def codes(self, codes: Iterable[str]) -> set[str]:
        return {row["code"] for row in self._rows(ProcedureCode, "code", codes, "code")}

    def plans(self, refs: Iterable[str]) -> dict[str, KnownPlan]:
        rows = self._rows(TreatmentPlan, "ref", refs, "ref", "id", "patient__ref")
        return {row["ref"]: KnownPlan(row["id"], row["patient__ref"]) for row in rows}

    def options(self, refs: Iterable[str]) -> dict[str, tuple[uuid.UUID, str]]:
        """Option ref: (its plan's id, its plan's ref)."""
        rows = self._rows(TreatmentOption, "ref", refs, "ref", "plan_id", "plan__ref")
        return {row["ref"]: (row["plan_id"], row["plan__ref"]) for row in rows}

    def procedures(self, refs: Iterable[str]) -> dict[str, KnownProcedure]:
        columns = ("ref", "option_id", "option__ref", "option__plan_id")
        return {
            row["ref"]: KnownProcedure(row["option_id"], row["option__ref"], row["option__plan_id"])
            for row in self._rows(PlannedProcedure, "ref", refs, *columns)
        }

    def presentations(self, refs: Iterable[str]) -> dict[str, uuid.UUID]:
        rows = self._rows(Presentation, "ref", refs, "ref", "plan_id")
        return {row["ref"]: row["plan_id"] for row in rows}

    def touches(self, refs: Iterable[str]) -> dict[str, uuid.UUID]:
        """Touch ref: its plan's id."""
        return {
            row["ref"]: row["plan_id"] for row in self._rows(Touch, "ref", refs, "ref", "plan_id")
        }

    def completions(self, refs: Iterable[str]) -> dict[str, uuid.UUID | None]:
        """Completion ref: the planned procedure it completes (None for work outside a plan)."""
        rows = self._rows(CompletedProcedure, "ref", refs, "ref", "planned_id")
        return {row["ref"]: row["planned_id"] for row in rows}


# Parsers


def _tooth(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise f.Invalid(f'must be text (put the tooth in quotes: "{value}")')
    tooth = f.text(10, blank=True)(value)
    if tooth and (message := tooth_problem(tooth)):
        raise f.Invalid(message)
    return tooth


def _surfaces(value: Any) -> str:
    surfaces = f.text(20, blank=True)(value)
    if surfaces and (message := surfaces_problem(surfaces)):
        raise f.Invalid(message)
    return "".join(sorted(surfaces, key=SURFACE_LETTERS.index))


def _area(value: Any) -> str:
    area = f.text(10, blank=True)(value)
    if area and (message := area_problem(area)):
        raise f.Invalid(message)
    return area


def _phase(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_PHASE:
        raise f.Invalid(f"{f.quoted(value)} is not a phase (a whole number, 1 to {MAX_PHASE})")
    return value


PROCEDURE_SPEC: f.Spec = {
    "ref": Field(f.ref, required=True),
    "code": Field(f.procedure_code, required=True),
    "tooth": Field(_tooth),
    "surfaces": Field(_surfaces),
    "area": Field(_area),
    "fee": Field(f.money),
    "phase": Field(_phase),
}

OPTION_SPEC: f.Spec = {
    "ref": Field(f.ref, required=True),
    "name": Field(f.text(100)),
    "recommended": Field(f.boolean),
    "procedures": Field(f.records, required=True),
}


def _plan_spec(zone: datetime.tzinfo) -> f.Spec:
    return {
        "ref": Field(f.ref, required=True),
        "patient": Field(f.ref, required=True),
        "dentist": Field(f.ref, required=True),
        "diagnosed_at": Field(f.moment(zone), required=True),
        "options": Field(f.records, required=True),
    }


def _presentation_spec(zone: datetime.tzinfo) -> f.Spec:
    return {
        "ref": Field(f.ref, required=True),
        "plan": Field(f.ref, required=True),
        "by": Field(f.ref, required=True),
        "at": Field(f.moment(zone), required=True),
        "mode": Field(f.choice(PresentationMode.values, "a mode"), required=True),
    }


def _decision_spec(zone: datetime.tzinfo) -> f.Spec:
    return {
        "procedure": Field(f.ref, required=True),
        "decision": Field(f.choice(DecisionKind.values, "a decision"), required=True),
        "at": Field(f.moment(zone), required=True),
        "reason": Field(f.choice(REASONS, "a reason")),
    }


def _follow_up_spec(zone: datetime.tzinfo) -> f.Spec:
    return {
        "ref": Field(f.ref, required=True),
        "plan": Field(f.ref, required=True),
        "by": Field(f.ref),
        "at": Field(f.moment(zone), required=True),
        "channel": Field(f.choice(Channel.values, "a channel"), required=True),
        "outcome": Field(f.choice(TouchOutcome.values, "an outcome"), required=True),
        "note": Field(f.text(500, blank=True)),
    }


# Outcomes only a phone call can have.
CALL_OUTCOMES = (TouchOutcome.VOICEMAIL, TouchOutcome.NO_ANSWER)

COMPLETED_SPEC: f.Spec = {
    "procedure": Field(f.ref),
    "ref": Field(f.ref),
    "patient": Field(f.ref),
    "code": Field(f.procedure_code),
    "fee": Field(f.money),
    "on": Field(f.day, required=True),
    "dentist": Field(f.ref),
}
# Work outside a plan names these itself; planned work takes them from its procedure.
UNPLANNED_FIELDS = ("ref", "patient", "code", "fee")


# Helpers


@dataclass
class _Record:
    """One record as read: its PATH, the raw JSON, the values that passed, and its problems."""

    path: str
    raw: Any
    values: dict
    problems: list[Problem]

    def check(self, key: str, noun: str, known: set[str]) -> None:
        """A reference: it must name a record of the file or one the practice has."""
        if key in self.values and self.values[key] not in known:
            self.fail(key, f"unknown {noun} {f.quoted(self.values[key])}")

    def fail(self, key: str | None, message: str) -> None:
        self.problems.append(Problem(f"{self.path}.{key}" if key else self.path, message))

    def has(self, key: str) -> bool:
        return isinstance(self.raw, dict) and key in self.raw


def _each(records: list, path: str, spec: f.Spec) -> Iterator[_Record]:
    """Every record of a list, read by `spec` (one that is not an object has that problem and
    no values)."""
    for index, raw in enumerate(records):
        record = _Record(f"{path}[{index}]", raw, {}, [])
        record.values = f.read_record(raw, record.path, spec, record.problems) or {}
        yield record


def refs_in(document: dict) -> dict[str, set[str]]:
    """The refs (codes for the catalog) each section of the file names, valid or not: a
    reference to a record with a problem of its own is not reported a second time."""
    sections = {key: _dicts(document.get(key)) for key in ("staff", "patients", "plans")}
    options = [o for r in sections["plans"] for o in _dicts(r.get("options"))]
    return {
        "staff": _texts(r.get("ref") for r in sections["staff"]),
        "patients": _texts(r.get("ref") for r in sections["patients"]),
        "procedure_codes": _texts(r.get("code") for r in _dicts(document.get("procedure_codes"))),
        "plans": _texts(r.get("ref") for r in sections["plans"]),
        "procedures": _texts(p.get("ref") for o in options for p in _dicts(o.get("procedures"))),
    }


def _zone(plan: "ImportPlan") -> datetime.tzinfo:
    """The practice's time zone; UTC when the practice record is broken (already an error)."""
    if plan.practice is None:
        return datetime.UTC
    return zoneinfo.ZoneInfo(plan.practice.timezone)


def _texts(values: Iterable[Any]) -> set[str]:
    """The text values among raw JSON values, stripped as the `ref` parser strips them."""
    return {value.strip() for value in values if isinstance(value, str)}


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _shown(ref: str) -> str:
    return f.quoted(ref) if ref else "(made in the app)"


def _report_duplicates(values: list[tuple[str, str]], problems: list[Problem]) -> None:
    """Refs used twice, reported at the later record's PATH."""
    first_seen: dict[str, str] = {}
    for path, value in values:
        if value in first_seen:
            message = f"{f.quoted(value)} is used twice (also {first_seen[value]})"
            problems.append(Problem(f"{path}.ref", message))
        else:
            first_seen[value] = path


# Readers


@dataclass
class _PlanContext:
    """What the references of the plans section resolve against."""

    staff: set[str]
    patients: set[str]
    codes: set[str]
    plans: dict[str, KnownPlan]
    options: dict[str, tuple[uuid.UUID, str]]
    procedures: dict[str, KnownProcedure]
    option_refs: list[tuple[str, str]]
    procedure_refs: list[tuple[str, str]]


def read_plans(records: list, plan: "ImportPlan", problems: list[Problem]) -> None:
    existing = plan.existing
    rows = _dicts(records)
    raw_options = [o for r in rows for o in _dicts(r.get("options"))]
    raw_procedures = [p for o in raw_options for p in _dicts(o.get("procedures"))]
    staff = set(plan.refs["staff"])
    patients = set(plan.refs["patients"])
    codes = set(plan.refs["procedure_codes"])
    context = _PlanContext(
        staff=staff | existing.staff(_texts(r.get("dentist") for r in rows) - staff),
        patients=patients | existing.patients(_texts(r.get("patient") for r in rows) - patients),
        codes=codes | existing.codes(_texts(p.get("code") for p in raw_procedures) - codes),
        plans=existing.plans(_texts(r.get("ref") for r in rows)),
        options=existing.options(_texts(o.get("ref") for o in raw_options)),
        procedures=existing.procedures(_texts(p.get("ref") for p in raw_procedures)),
        option_refs=[],
        procedure_refs=[],
    )
    plan.known_plans.update(context.plans)
    plan.known_procedures.update(context.procedures)
    for record in _each(records, "plans", _plan_spec(_zone(plan))):
        data = _read_plan(record, context)
        problems.extend(record.problems)
        if data is not None and not record.problems:
            plan.plans.append(data)
    f.find_duplicates(f.raw_values(records, "plans", "ref"), "ref", problems)
    _report_duplicates(context.option_refs, problems)
    _report_duplicates(context.procedure_refs, problems)


def _read_plan(record: _Record, context: _PlanContext) -> PlanData | None:
    values = record.values
    record.check("patient", "patient", context.patients)
    record.check("dentist", "staff", context.staff)
    known = context.plans.get(values.get("ref"))
    if known is not None and "patient" in values and known.patient_ref != values["patient"]:
        record.fail(
            "patient",
            f"plan {f.quoted(values['ref'])} is patient {_shown(known.patient_ref)}'s: an import "
            "does not move a plan to another patient",
        )
    options = [
        _read_option(raw, f"{record.path}.options[{index}]", known, context, record.problems)
        for index, raw in enumerate(values.get("options", []))
    ]
    _check_recommended(values.get("options", []), record)
    if record.problems or None in options:
        return None
    if len(options) == 1:
        options = [replace(options[0], recommended=True)]
    return PlanData(
        ref=values["ref"],
        patient=values["patient"],
        dentist=values["dentist"],
        diagnosed_at=values["diagnosed_at"],
        options=tuple(options),
    )


def _read_option(
    raw: Any,
    path: str,
    plan: KnownPlan | None,
    context: _PlanContext,
    problems: list[Problem],
) -> OptionData | None:
    before = len(problems)
    values = f.read_record(raw, path, OPTION_SPEC, problems)
    if values is None:
        return None
    ref = values.get("ref")
    if ref is not None:
        context.option_refs.append((path, ref))
        known = context.options.get(ref)
        if known is not None and (plan is None or known[0] != plan.id):
            problems.append(
                Problem(f"{path}.ref", f"{f.quoted(ref)} is an option of plan {_shown(known[1])}")
            )
    procedures = []
    for index, raw_procedure in enumerate(values.get("procedures", [])):
        record = _Record(f"{path}.procedures[{index}]", raw_procedure, {}, [])
        read = f.read_record(raw_procedure, record.path, PROCEDURE_SPEC, record.problems)
        if read is not None:
            record.values = read
            procedures.append(_read_procedure(record, ref, context))
        problems.extend(record.problems)
    if len(problems) > before:
        return None
    return OptionData(
        ref=ref,
        name=values.get("name"),
        recommended=values.get("recommended", False),
        procedures=tuple(procedures),
    )


def _read_procedure(record: _Record, option_ref: str | None, context: _PlanContext):
    values = record.values
    if "ref" in values:
        context.procedure_refs.append((record.path, values["ref"]))
    record.check("code", "procedure code", context.codes)
    if values.get("surfaces") and not record.has("tooth"):
        record.fail("surfaces", "surfaces need a tooth")
    if values.get("tooth") and values.get("area"):
        record.fail("area", "a procedure has a tooth or an area, not both")
    known = context.procedures.get(values.get("ref"))
    if known is not None and known.option_ref != option_ref:
        record.fail(
            "ref", f"{f.quoted(values['ref'])} is a procedure of option {_shown(known.option_ref)}"
        )
    if record.problems:
        return None
    return ProcedureData(
        ref=values["ref"],
        code=values["code"],
        tooth=values.get("tooth", ""),
        surfaces=values.get("surfaces", ""),
        area=values.get("area", ""),
        fee=values.get("fee"),
        phase=values.get("phase"),
    )


def _check_recommended(options: list, record: _Record) -> None:
    """Exactly one option is recommended; a single option is, without saying so."""
    flags = [(i, o.get("recommended")) for i, o in enumerate(options) if isinstance(o, dict)]
    if not options:
        return
    if len(options) == 1:
        if flags and flags[0][1] is False:
            record.fail("options[0].recommended", "a plan's only option is its recommended one")
        return
    chosen = [index for index, flag in flags if flag is True]
    if not chosen and all(flag is None or isinstance(flag, bool) for _index, flag in flags):
        record.fail("options", 'one option must be "recommended": true (none is)')
    for index in chosen[1:]:
        record.fail(
            f"options[{index}].recommended",
            f"only one option can be recommended (also options[{chosen[0]}])",
        )


def read_presentations(records: list, plan: "ImportPlan", problems: list[Problem]) -> None:
    existing = plan.existing
    rows = _dicts(records)
    staff = set(plan.refs["staff"])
    staff |= existing.staff(_texts(r.get("by") for r in rows) - staff)
    in_file = plan.refs["plans"]
    plan.known_plans.update(
        existing.plans(_texts(r.get("plan") for r in rows) - in_file - set(plan.known_plans))
    )
    plans = in_file | set(plan.known_plans)
    shown = existing.presentations(_texts(r.get("ref") for r in rows))
    for record in _each(records, "presentations", _presentation_spec(_zone(plan))):
        values = record.values
        record.check("plan", "plan", plans)
        record.check("by", "staff", staff)
        of_plan = shown.get(values.get("ref"))
        wanted = plan.known_plans.get(values.get("plan"))
        if of_plan is not None and "plan" in values and (wanted is None or wanted.id != of_plan):
            record.fail(
                "plan",
                f"presentation {f.quoted(values['ref'])} is of another plan: an import does not "
                "move a presentation",
            )
        problems.extend(record.problems)
        if not record.problems:
            plan.presentations.append(PresentationData(**values))
    f.find_duplicates(f.raw_values(records, "presentations", "ref"), "ref", problems)


def read_follow_ups(records: list, plan: "ImportPlan", problems: list[Problem]) -> None:
    existing = plan.existing
    rows = _dicts(records)
    staff = set(plan.refs["staff"])
    staff |= existing.staff(_texts(r.get("by") for r in rows) - staff)
    in_file = plan.refs["plans"]
    plan.known_plans.update(
        existing.plans(_texts(r.get("plan") for r in rows) - in_file - set(plan.known_plans))
    )
    plans = in_file | set(plan.known_plans)
    of_plan = existing.touches(_texts(r.get("ref") for r in rows))
    for record in _each(records, "follow_ups", _follow_up_spec(_zone(plan))):
        values = record.values
        record.check("plan", "plan", plans)
        record.check("by", "staff", staff)
        known = of_plan.get(values.get("ref"))
        wanted = plan.known_plans.get(values.get("plan"))
        if known is not None and "plan" in values and (wanted is None or wanted.id != known):
            record.fail(
                "plan",
                f"follow-up {f.quoted(values['ref'])} is of another plan: an import does not "
                "move a follow-up",
            )
        outcome = values.get("outcome")
        if outcome in CALL_OUTCOMES and values.get("channel", Channel.CALL) != Channel.CALL:
            record.fail("outcome", f"{f.quoted(outcome)} is the outcome of a call")
        problems.extend(record.problems)
        if not record.problems:
            plan.follow_ups.append(
                FollowUpData(
                    ref=values["ref"],
                    plan=values["plan"],
                    by=values.get("by"),
                    at=values["at"],
                    channel=values["channel"],
                    outcome=outcome,
                    note=values.get("note"),
                )
            )
    f.find_duplicates(f.raw_values(records, "follow_ups", "ref"), "ref", problems)


def _procedures(records: list, plan: "ImportPlan") -> set[str]:
    """Procedure refs a decision or completion may name: the file's and the practice's."""
    in_file = plan.refs["procedures"]
    wanted = _texts(r.get("procedure") for r in _dicts(records))
    plan.known_procedures.update(
        plan.existing.procedures(wanted - in_file - set(plan.known_procedures))
    )
    return in_file | set(plan.known_procedures)


def read_decisions(records: list, plan: "ImportPlan", problems: list[Problem]) -> None:
    procedures = _procedures(records, plan)
    seen: dict[tuple[str, datetime.datetime], tuple[str, str]] = {}
    for record in _each(records, "decisions", _decision_spec(_zone(plan))):
        values = record.values
        record.check("procedure", "procedure", procedures)
        kind = values.get("decision")
        if kind == DecisionKind.ACCEPTED and values.get("reason"):
            record.fail("reason", "an acceptance has no reason")
        elif kind in (DecisionKind.DECLINED, DecisionKind.DEFERRED) and not record.has("reason"):
            record.fail("reason", f"required when {kind} ({', '.join(REASONS)})")
        if not record.problems:
            key = (values["procedure"], values["at"])
            if key in seen:
                other, other_kind = seen[key]
                record.fail(
                    None,
                    f"the same decision as {other}"
                    if other_kind == kind
                    else f"contradicts {other}: two decisions on one procedure at the same time",
                )
            else:
                seen[key] = (record.path, kind)
                plan.decisions.append(
                    DecisionData(
                        procedure=values["procedure"],
                        kind=kind,
                        at=values["at"],
                        reason=values.get("reason", ""),
                    )
                )
        problems.extend(record.problems)


def read_completed(records: list, plan: "ImportPlan", problems: list[Problem]) -> None:
    existing = plan.existing
    rows = _dicts(records)
    procedures = _procedures(records, plan)
    staff = set(plan.refs["staff"])
    staff |= existing.staff(_texts(r.get("dentist") for r in rows) - staff)
    patients = set(plan.refs["patients"])
    patients |= existing.patients(_texts(r.get("patient") for r in rows) - patients)
    codes = set(plan.refs["procedure_codes"])
    codes |= existing.codes(_texts(r.get("code") for r in rows) - codes)
    of_planned = existing.completions(_texts(r.get("ref") for r in rows))
    completed: dict[str, str] = {}
    for record in _each(records, "completed", COMPLETED_SPEC):
        values = record.values
        record.check("procedure", "procedure", procedures)
        record.check("dentist", "staff", staff)
        record.check("patient", "patient", patients)
        record.check("code", "procedure code", codes)
        if record.has("procedure"):
            for key in UNPLANNED_FIELDS:
                if record.has(key):
                    record.fail(key, 'not with "procedure": planned work has its procedure\'s')
            ref = values.get("procedure")
            if ref in completed:
                record.fail(
                    "procedure", f"{f.quoted(ref)} is completed twice (also {completed[ref]})"
                )
            elif ref is not None:
                completed[ref] = record.path
        elif isinstance(record.raw, dict):
            if not any(record.has(key) for key in ("ref", "patient", "code", "dentist")):
                record.fail(
                    None,
                    'either "procedure" (planned work) or "ref", "patient", "code" and "dentist" '
                    "(work outside a plan)",
                )
            else:
                for key in ("ref", "patient", "code", "dentist"):
                    if not record.has(key):
                        record.fail(key, "required")
            if of_planned.get(values.get("ref")) is not None:
                record.fail("ref", f"{f.quoted(values['ref'])} completes a planned procedure")
        problems.extend(record.problems)
        if not record.problems:
            plan.completed.append(
                CompletionData(
                    on=values["on"],
                    dentist=values.get("dentist"),
                    procedure=values.get("procedure"),
                    ref=values.get("ref"),
                    patient=values.get("patient"),
                    code=values.get("code"),
                    fee=values.get("fee"),
                )
            )
    f.find_duplicates(f.raw_values(records, "completed", "ref"), "ref", problems)
