"""Verifying a coverage with the payer: the eligibility request (X12 270), importing its answer
(271), and recording a phone call.

An import is shown before it is applied (`import_preview`) and applied in one transaction
(`eligibility_import`), which works the preview out again under row locks. It replaces the
group plan's benefit rows from earlier checks (and hand-entered rows of the same kind and
scope), and turns what the payer says is used into history:

- a deductible met or maximum used becomes a "benefits used" entry dated the day of the answer,
  less the claims already on file for that benefit year (the payer's figure includes them);
- an orthodontic lifetime maximum used cannot be a "benefits used" entry (contract §3.8: those
  count toward the plan-wide maximum, which never limits orthodontics), so it is a paid D8080
  entry with a note;
- a later check replaces the usage an earlier check (271 or phone) recorded for the same
  benefit year, so re-importing never doubles it;
- the payer's last service dates become "done elsewhere" entries, unless that code and date
  are on file.

Family-level amounts are not recorded: the family's usage is the sum of each member's own
entries, which the engine adds up itself.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from coordinator.audit import audit_record
from coordinator.models import Practice
from insurance.coverage_services import same_member_id
from insurance.engine.values import ZERO, add_months, benefit_year_start
from insurance.models import (
    Benefit,
    BenefitKind,
    BenefitSource,
    BenefitsSource,
    Coverage,
    EligibilityCheck,
    EligibilityCheckKind,
    GroupPlan,
    HistoryKind,
    HistorySource,
    InsuranceHistory,
    Subscription,
    X12ControlNumber,
)
from insurance.x12 import (
    BenefitRows,
    Dependent,
    EligibilityRequest,
    EligibilityResponse,
    Member,
    UsedBenefit,
    X12Error,
    build_270,
    parse_271,
)
from insurance.x12.request import MAX_CONTROL_NUMBER
from insurance.x12.segments import read_interchange

VERIFIED_SOURCES = (HistorySource.ELIGIBILITY_271, HistorySource.PHONE)
ORTHODONTIC_CODE = re.compile(r"^D8\d{3}$")
ORTHODONTIC_HISTORY_CODE = "D8080"
GENERAL_SCOPES = ("general", "category:general")
LEVEL_WORDS = {"individual": "", "family": "family "}
KIND_WORDS = {"deductible": "deductible", "maximum": "maximum"}


class VerificationRefused(Exception):
    """The request cannot be made; `problems` says what to fix, one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


# --- The 270 -------------------------------------------------------------------------------------


def next_control_number(practice: Practice) -> int:
    """The practice's next interchange control number, 1 to 999999999 and round again.

    The counter row is locked until the caller's transaction ends, so concurrent requests
    queue for it and never share a number.
    """
    with transaction.atomic():
        counter, _ = X12ControlNumber.objects.select_for_update().get_or_create(practice=practice)
        counter.last_number = counter.last_number % MAX_CONTROL_NUMBER + 1
        counter.save(update_fields=["last_number"])
        return counter.last_number


def request_problems(coverage: Coverage, practice: Practice) -> list[str]:
    """What is missing before a 270 can be written for this coverage."""
    subscription = coverage.subscription
    carrier = subscription.group_plan.carrier
    subscriber = subscription.subscriber
    problems = []
    if not practice.npi:
        problems.append("The practice has no NPI: add it in the practice settings.")
    if not practice.x12_submitter_id:
        problems.append(
            "The practice has no clearinghouse submitter ID: add it in the practice settings."
        )
    if not carrier.payer_id:
        problems.append(f"{carrier.name} has no payer ID: add it on the carrier's page.")
    if not subscription.member_id:
        problems.append("This coverage has no member ID: add it first.")
    if subscriber.birth_date is None:
        problems.append(f"The subscriber's ({subscriber.full_name}) birth date is not on file.")
    if coverage.patient_id != subscriber.pk and coverage.patient.birth_date is None:
        problems.append(f"{coverage.patient.full_name}'s birth date is not on file.")
    return problems


def build_request(
    *, coverage: Coverage, practice: Practice, control_number: int, now: datetime.datetime
) -> EligibilityRequest:
    """The inquiry for the whole dental benefit set (service type 35), as of today: about the
    subscriber, or about the patient as a dependent when they are not the subscriber."""
    subscription = coverage.subscription
    carrier = subscription.group_plan.carrier
    subscriber = subscription.subscriber
    patient = coverage.patient
    dependent = None
    if patient.pk != subscriber.pk:
        dependent = Dependent(
            last_name=patient.last_name,
            first_name=patient.first_name,
            birth_date=patient.birth_date,
        )
    return EligibilityRequest(
        sender_id=practice.x12_submitter_id,
        receiver_id=carrier.payer_id,
        interchange_control_number=control_number,
        group_control_number=control_number,
        transaction_set_control_number=1,
        created=now,
        submitter_transaction_id=f"{control_number:09d}",
        trace_number=f"{control_number:09d}",
        # The provider's own 10-digit identifier stands for the trace's originator.
        trace_originator_id=practice.npi,
        payer_name=carrier.name,
        payer_id=carrier.payer_id,
        provider_name=practice.name,
        provider_npi=practice.npi,
        subscriber_last_name=subscriber.last_name,
        subscriber_first_name=subscriber.first_name,
        member_id=subscription.member_id,
        subscriber_birth_date=subscriber.birth_date,
        service_date=now.date(),
        dependent=dependent,
    )


@transaction.atomic
def eligibility_request(*, coverage: Coverage, request: HttpRequest) -> EligibilityCheck:
    """Write the 270 for this coverage and record the check it starts (no answer yet)."""
    practice = request.practice
    problems = request_problems(coverage, practice)
    if problems:
        raise VerificationRefused(problems)
    now = timezone.localtime(timezone.now(), practice.tzinfo)
    number = next_control_number(practice)
    try:
        text = build_270(
            build_request(coverage=coverage, practice=practice, control_number=number, now=now)
        )
    except X12Error as error:
        raise VerificationRefused([f"The 270 cannot be written: {error}."]) from None
    check = EligibilityCheck(
        practice=practice,
        coverage=coverage,
        kind=EligibilityCheckKind.X12,
        checked_on=now.date(),
        trace_number=f"{number:09d}",
        request_270=text,
        recorded_by=request.user,
    )
    check.full_clean()
    check.save()
    audit_record(
        action="insurance.eligibility_requested",
        request=request,
        obj=check,
        patient_id=coverage.patient_id,
        detail={"fields": ["request_270"]},
    )
    return check


# --- What a verification says is used ------------------------------------------------------------


@dataclass(frozen=True)
class UsageLine:
    """One reported deductible or maximum, and the history entry it becomes (if any)."""

    label: str
    limit: Decimal | None
    used: Decimal
    on_file: Decimal  # claims already on file that the payer's figure includes
    kind: str = ""  # the history kind recorded, "" for none
    code: str = ""
    amount: Decimal = ZERO
    deductible: Decimal = ZERO
    reason: str = ""  # why nothing (or something other than "benefits used") is recorded

    @property
    def recorded(self) -> Decimal:
        return self.amount + self.deductible


@dataclass(frozen=True)
class UsagePlan:
    lines: list[UsageLine]
    replaced: list[InsuranceHistory]

    def entries(self, coverage: Coverage, day: datetime.date, source: str, user) -> list:
        note = {
            HistorySource.ELIGIBILITY_271: "From the eligibility check (271)",
            HistorySource.PHONE: "From the eligibility call",
        }[source]
        return [
            InsuranceHistory(
                practice_id=coverage.practice_id,
                subscription_id=coverage.subscription_id,
                patient_id=coverage.patient_id,
                kind=line.kind,
                code=line.code,
                service_date=day,
                amount=line.amount,
                deductible=line.deductible,
                source=source,
                note=f"{note} of {day:%m/%d/%Y}: {line.label}, {line.used} used."[:300],
                recorded_by=user,
            )
            for line in self.lines
            if line.kind
        ]


def _label(used: UsedBenefit) -> str:
    if used.scope == "category:orthodontics" and used.period == "lifetime":
        what = "orthodontic lifetime maximum"
    elif used.scope in GENERAL_SCOPES:
        period = "lifetime " if used.period == "lifetime" else "annual "
        what = f"{period if used.kind == 'maximum' else ''}{KIND_WORDS[used.kind]}"
    else:
        what = f"{KIND_WORDS[used.kind]} on {Benefit(scope=used.scope).scope_label}"
    return f"{LEVEL_WORDS.get(used.level, '')}{what}".capitalize()


def _nothing_recorded(used: Decimal) -> str:
    return "Nothing used." if not used else "Nothing more than the claims on file."


def usage_plan(
    *, coverage: Coverage, reported: Iterable[UsedBenefit], day: datetime.date
) -> UsagePlan:
    """What the reported amounts become in the patient's history on this subscription, and
    which earlier verified entries they replace."""
    renewal = coverage.subscription.group_plan.renewal_month
    year_start = benefit_year_start(day, renewal)
    year_end = add_months(year_start, 12)
    own = list(
        InsuranceHistory.objects.filter(
            practice_id=coverage.practice_id,
            subscription_id=coverage.subscription_id,
            patient_id=coverage.patient_id,
        )
    )

    def in_year(entry: InsuranceHistory, lifetime: bool) -> bool:
        return lifetime or year_start <= entry.service_date < year_end

    def claims(lifetime: bool, orthodontic: bool) -> list[InsuranceHistory]:
        # Paid claims the payer had counted by then; verified entries are replaced, not counted.
        return [
            e
            for e in own
            if e.kind == HistoryKind.PAID
            and e.source not in VERIFIED_SOURCES
            and e.service_date <= day
            and in_year(e, lifetime)
            and bool(ORTHODONTIC_CODE.match(e.code)) == orthodontic
        ]

    lines, replaced = [], []
    for used in reported:
        label = _label(used)
        lifetime = used.period == "lifetime"
        common = {"label": label, "limit": used.limit_amount, "used": used.used_amount}
        if used.level == "family":
            lines.append(
                UsageLine(
                    **common,
                    on_file=ZERO,
                    reason="The family's usage is added up from each member's own entries, "
                    "so it is not recorded as one entry.",
                )
            )
        elif used.scope in GENERAL_SCOPES:
            is_maximum = used.kind == "maximum"
            on_file = sum(
                (e.amount if is_maximum else e.deductible for e in claims(lifetime, False)),
                start=ZERO,
            )
            replaced += [
                e
                for e in own
                if e.kind == HistoryKind.BENEFITS_USED
                and e.source in VERIFIED_SOURCES
                and in_year(e, lifetime)
                and (e.amount > 0 if is_maximum else e.deductible > 0)
            ]
            recorded = max(used.used_amount - on_file, ZERO)
            lines.append(
                UsageLine(
                    **common,
                    on_file=on_file,
                    kind=HistoryKind.BENEFITS_USED if recorded else "",
                    amount=recorded if is_maximum else ZERO,
                    deductible=ZERO if is_maximum else recorded,
                    reason="" if recorded else _nothing_recorded(used.used_amount),
                )
            )
        elif used.kind == "maximum" and used.scope == "category:orthodontics" and lifetime:
            on_file = sum((e.amount for e in claims(True, True)), start=ZERO)
            replaced += [
                e
                for e in own
                if e.kind == HistoryKind.PAID
                and e.source in VERIFIED_SOURCES
                and e.code == ORTHODONTIC_HISTORY_CODE
            ]
            recorded = max(used.used_amount - on_file, ZERO)
            lines.append(
                UsageLine(
                    **common,
                    on_file=on_file,
                    kind=HistoryKind.PAID if recorded else "",
                    code=ORTHODONTIC_HISTORY_CODE if recorded else "",
                    amount=recorded,
                    reason=(
                        "Recorded as a paid D8080 line: a “benefits used” entry cannot name "
                        "orthodontics."
                        if recorded
                        else _nothing_recorded(used.used_amount)
                    ),
                )
            )
        else:
            lines.append(
                UsageLine(
                    **common,
                    on_file=ZERO,
                    reason="Usage of one category's limit needs the procedures: check the "
                    "claims on file against it.",
                )
            )
    return UsagePlan(lines=lines, replaced=list({e.pk: e for e in replaced}.values()))


# --- Importing a 271 -----------------------------------------------------------------------------


def read_271(*, coverage: Coverage, text: str) -> EligibilityResponse:
    """The answer, read as the coverage's carrier writes coinsurance. Raises X12Error."""
    carrier = coverage.subscription.group_plan.carrier
    return parse_271(text, coinsurance_inverted=carrier.coinsurance_inverted)


def response_date(text: str) -> datetime.date:
    """The day the payer answered (BHT04)."""
    return read_interchange(text, "271").bht.read_date(4)


def _benefit_rows(group_plan: GroupPlan, rows: BenefitRows) -> tuple[list[Benefit], list]:
    """The rows as the group plan will hold them; rows the model refuses, with the reason."""
    made: list[tuple[str, dict]] = []
    made += [
        (BenefitKind.COVERAGE, {"scope": r.scope, "percent": r.percent}) for r in rows.coverage
    ]
    for kind, amounts in (
        (BenefitKind.DEDUCTIBLE, rows.deductibles),
        (BenefitKind.MAXIMUM, rows.maximums),
    ):
        made += [
            (
                kind,
                {
                    "scope": r.scope,
                    "amount": Decimal(r.amount),
                    "level": r.level,
                    "period": r.period,
                },
            )
            for r in amounts
        ]
    made += [
        (BenefitKind.FREQUENCY, {"scope": r.scope, "count": r.count, "per": r.per})
        for r in rows.frequencies
    ]
    made += [
        (BenefitKind.AGE_LIMIT, {"scope": r.scope, "max_age": r.max_age}) for r in rows.age_limits
    ]
    made += [
        (BenefitKind.WAITING_PERIOD, {"scope": r.scope, "months": r.months})
        for r in rows.waiting_periods
    ]
    made += [(BenefitKind.EXCLUSION, {"scope": r.scope}) for r in rows.exclusions]
    valid, refused = [], []
    for kind, values in made:
        row = Benefit(
            practice_id=group_plan.practice_id,
            group_plan=group_plan,
            kind=kind,
            source=BenefitSource.ELIGIBILITY_271,
            **values,
        )
        try:
            # The model's clean() holds the same rules as its check constraints.
            row.full_clean(validate_constraints=False)
        except ValidationError as error:
            refused.append(
                (f"{row.get_kind_display()} {values['scope']}", "; ".join(error.messages))
            )
        else:
            valid.append(row)
    return valid, refused


def benefit_key(row: Benefit) -> tuple:
    """Rows with the same key say the same thing: the new one replaces the old."""
    if row.kind in (BenefitKind.DEDUCTIBLE, BenefitKind.MAXIMUM):
        return (row.kind, row.scope, row.level, row.period)
    return (row.kind, row.scope)


@dataclass(frozen=True)
class VisitLine:
    code: str
    date: datetime.date
    on_file: bool


@dataclass
class ImportPreview:
    """Everything importing one 271 for one coverage would do, and what it warns about."""

    response: EligibilityResponse
    answered_on: datetime.date
    member: Member | None
    about_patient: bool
    warnings: list[str] = field(default_factory=list)
    new_rows: list[Benefit] = field(default_factory=list)
    refused_rows: list[tuple[str, str]] = field(default_factory=list)
    out_of_network_rows: list[Benefit] = field(default_factory=list)  # shown, not imported
    replaced_checked: list[Benefit] = field(default_factory=list)
    replaced_manual: list[Benefit] = field(default_factory=list)
    usage: UsagePlan | None = None
    visits: list[VisitLine] = field(default_factory=list)
    fills: dict = field(default_factory=dict)  # subscription fields we lack, from the answer
    sets_missing_tooth_clause: bool = False
    matched_check: EligibilityCheck | None = None
    plan_subscribers: int = 0

    @property
    def imports(self) -> bool:
        return self.response.active

    @property
    def new_visits(self) -> list[VisitLine]:
        return [visit for visit in self.visits if not visit.on_file]


def _plain(name: str) -> str:
    return re.sub(r"[^A-Z]", "", name.upper())


def _is_about(member: Member | None, patient) -> bool:
    """Whether the answer's patient is ours: the same birth date when both are known, else the
    same last name."""
    if member is None:
        return False
    if member.birth_date and patient.birth_date:
        return member.birth_date == patient.birth_date
    return _plain(member.last_name) == _plain(patient.last_name)


def import_preview(*, coverage: Coverage, text: str) -> ImportPreview:
    """What importing this 271 would change, worked out from the rows as they are now.
    Raises X12Error when the text is not a 271 we can read."""
    response = read_271(coverage=coverage, text=text)
    answered_on = response_date(text)
    subscription = coverage.subscription
    group_plan = subscription.group_plan
    patient = coverage.patient
    member = response.dependent or response.subscriber
    preview = ImportPreview(
        response=response,
        answered_on=answered_on,
        member=member,
        about_patient=_is_about(member, patient),
    )
    warnings = preview.warnings
    if member is not None and not preview.about_patient:
        born = f", born {member.birth_date:%m/%d/%Y}" if member.birth_date else ""
        warnings.append(
            f"The answer is about {member.first_name} {member.last_name}{born}, not "
            f"{patient.full_name}: nothing is recorded in this patient's history."
        )
    subscriber = response.subscriber
    if (
        subscriber
        and subscription.member_id
        and subscriber.member_id
        and not same_member_id(subscriber.member_id, subscription.member_id)
    ):
        warnings.append(
            f"The payer's member ID {subscriber.member_id} differs from ours "
            f"({subscription.member_id})."
        )
    if (
        response.group_number
        and group_plan.group_number
        and not same_member_id(response.group_number, group_plan.group_number)
    ):
        warnings.append(
            f"The payer's group number {response.group_number} differs from the group "
            f"plan's ({group_plan.group_number}): is this the right group plan?"
        )
    carrier = group_plan.carrier
    if response.payer_id and carrier.payer_id and response.payer_id != carrier.payer_id:
        warnings.append(
            f"The answer comes from payer ID {response.payer_id}, not {carrier.name}'s "
            f"({carrier.payer_id})."
        )
    if group_plan.benefits_updated_on and answered_on < group_plan.benefits_updated_on:
        warnings.append(
            f"This answer ({answered_on:%m/%d/%Y}) is older than the plan's last verification "
            f"({group_plan.benefits_updated_on:%m/%d/%Y})."
        )
    if response.trace_number:
        preview.matched_check = (
            EligibilityCheck.objects.filter(
                practice_id=coverage.practice_id,
                coverage=coverage,
                kind=EligibilityCheckKind.X12,
                trace_number=response.trace_number,
                response_271="",
            )
            .order_by("-recorded_at")
            .first()
        )
    if not response.active:
        return preview

    preview.new_rows, preview.refused_rows = _benefit_rows(group_plan, response.benefits)
    preview.out_of_network_rows, _ = _benefit_rows(group_plan, response.out_of_network)
    keys = {benefit_key(row) for row in preview.new_rows}
    for row in Benefit.objects.filter(practice_id=group_plan.practice_id, group_plan=group_plan):
        if row.source == BenefitSource.ELIGIBILITY_271:
            preview.replaced_checked.append(row)
        elif benefit_key(row) in keys:
            preview.replaced_manual.append(row)
    preview.sets_missing_tooth_clause = (
        response.missing_tooth_clause and not group_plan.missing_tooth_clause
    )
    preview.plan_subscribers = Subscription.objects.filter(
        practice_id=group_plan.practice_id, group_plan=group_plan, ended_on__isnull=True
    ).count()
    began = response.eligibility_begin
    if began and subscription.effective_date is None:
        preview.fills["effective_date"] = began
    elif began and subscription.effective_date != began:
        warnings.append(
            f"The payer says coverage began {began:%m/%d/%Y}; ours says "
            f"{subscription.effective_date:%m/%d/%Y} (waiting periods count from it)."
        )
    if not subscription.member_id and subscriber and subscriber.member_id:
        preview.fills["member_id"] = subscriber.member_id
    if preview.about_patient:
        preview.usage = usage_plan(
            coverage=coverage, reported=response.benefits.used, day=answered_on
        )
        on_file = set(
            InsuranceHistory.objects.filter(
                practice_id=coverage.practice_id,
                subscription_id=coverage.subscription_id,
                patient_id=coverage.patient_id,
            ).values_list("code", "service_date")
        )
        preview.visits = [
            VisitLine(visit.code, visit.date, (visit.code, visit.date) in on_file)
            for visit in response.last_visits
        ]
    return preview


def _summary(preview: ImportPreview, applied: dict) -> dict:
    response = preview.response
    member = preview.member
    return {
        "answered_on": preview.answered_on.isoformat(),
        "payer": response.payer_name,
        "plan_description": response.plan_description,
        "group_number": response.group_number,
        "member_id": response.subscriber.member_id if response.subscriber else "",
        "member_name": f"{member.first_name} {member.last_name}".strip() if member else "",
        "about": response.benefits_level,
        "inactive_reason": response.inactive_reason,
        "benefits": response.benefits.as_contract(),
        "usage": [
            {
                "label": line.label,
                "limit": None if line.limit is None else str(line.limit),
                "used": str(line.used),
                "on_file": str(line.on_file),
                "recorded": str(line.recorded) if line.kind else None,
                "reason": line.reason,
            }
            for line in (preview.usage.lines if preview.usage else [])
        ],
        "visits": [
            {"code": v.code, "date": v.date.isoformat(), "on_file": v.on_file}
            for v in preview.visits
        ],
        "unmapped": [
            {"label": u.label, "detail": u.detail, "reason": u.reason}
            for u in response.benefits.unmapped
        ],
        "missing_tooth_clause": response.missing_tooth_clause,
        "warnings": preview.warnings,
        "applied": applied,
    }


@transaction.atomic
def eligibility_import(
    *, coverage: Coverage, request: HttpRequest, text: str
) -> tuple[EligibilityCheck, ImportPreview]:
    """Apply a 271 to the coverage, all or nothing, and record the check."""
    group_plan = GroupPlan.objects.select_for_update().get(
        practice_id=coverage.practice_id, pk=coverage.subscription.group_plan_id
    )
    subscription = Subscription.objects.select_for_update().get(
        practice_id=coverage.practice_id, pk=coverage.subscription_id
    )
    group_plan.carrier = coverage.subscription.group_plan.carrier
    subscription.group_plan = group_plan
    subscription.subscriber = coverage.subscription.subscriber
    coverage.subscription = subscription
    preview = import_preview(coverage=coverage, text=text)
    response = preview.response
    applied = dict.fromkeys(
        ("benefits_added", "benefits_replaced", "history_added", "history_replaced"), 0
    )
    if preview.imports:
        replaced = [row.pk for row in preview.replaced_checked + preview.replaced_manual]
        Benefit.objects.filter(practice_id=group_plan.practice_id, pk__in=replaced).delete()
        Benefit.objects.bulk_create(preview.new_rows)
        applied["benefits_added"] = len(preview.new_rows)
        applied["benefits_replaced"] = len(replaced)
        group_plan.benefits_source = BenefitsSource.ELIGIBILITY_271
        group_plan.benefits_updated_on = preview.answered_on
        plan_fields = ["benefits_source", "benefits_updated_on"]
        if preview.sets_missing_tooth_clause:
            group_plan.missing_tooth_clause = True
            plan_fields.append("missing_tooth_clause")
        group_plan.save(update_fields=plan_fields)
        if preview.fills:
            for name, value in preview.fills.items():
                setattr(subscription, name, value)
            subscription.full_clean()
            subscription.save(update_fields=list(preview.fills))
        if preview.usage is not None:
            added, removed = _record_usage(
                coverage, preview.usage, preview.answered_on, HistorySource.ELIGIBILITY_271, request
            )
            entries = [
                InsuranceHistory(
                    practice_id=coverage.practice_id,
                    subscription_id=coverage.subscription_id,
                    patient_id=coverage.patient_id,
                    kind=HistoryKind.DONE_ELSEWHERE,
                    code=visit.code,
                    service_date=visit.date,
                    source=HistorySource.ELIGIBILITY_271,
                    note="Last service date reported by the payer (271).",
                    recorded_by=request.user,
                )
                for visit in preview.new_visits
            ]
            for entry in entries:
                entry.full_clean(validate_constraints=False)
            InsuranceHistory.objects.bulk_create(entries)
            applied["history_added"] = added + len(entries)
            applied["history_replaced"] = removed
    check = preview.matched_check
    if check is not None:
        check = EligibilityCheck.objects.select_for_update().get(pk=check.pk)
    else:
        check = EligibilityCheck(
            practice_id=coverage.practice_id,
            coverage=coverage,
            kind=EligibilityCheckKind.X12,
            trace_number=response.trace_number[:50],
            recorded_by=request.user,
        )
    check.checked_on = preview.answered_on
    check.response_271 = text
    check.active = response.active
    check.summary = _summary(preview, applied)
    check.messages = "\n".join(message.text for message in response.messages)
    check.full_clean(validate_constraints=False)
    check.save()
    changed = ["response_271"]
    if preview.imports:
        changed += ["benefits", "benefits_source", "benefits_updated_on", "history"]
        if preview.sets_missing_tooth_clause:
            changed.append("missing_tooth_clause")
        changed += list(preview.fills)
    audit_record(
        action="insurance.eligibility_imported",
        request=request,
        obj=check,
        patient_id=coverage.patient_id,
        detail={"fields": sorted(changed), "active": response.active, **applied},
    )
    return check, preview


def _record_usage(
    coverage: Coverage, usage: UsagePlan, day: datetime.date, source: str, request: HttpRequest
) -> tuple[int, int]:
    """Replace earlier verified usage with this verification's; (added, removed)."""
    removed = [entry.pk for entry in usage.replaced]
    InsuranceHistory.objects.filter(practice_id=coverage.practice_id, pk__in=removed).delete()
    entries = usage.entries(coverage, day, source, request.user)
    for entry in entries:
        entry.full_clean(validate_constraints=False)
    InsuranceHistory.objects.bulk_create(entries)
    return len(entries), len(removed)


# --- A phone call --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneAnswers:
    checked_on: datetime.date
    spoke_with: str
    reference_number: str
    active: bool
    maximum_remaining: Decimal | None
    deductible_remaining: Decimal | None
    notes: str


def _plan_limit(group_plan: GroupPlan, kind: str) -> Benefit | None:
    """The plan's own individual, benefit-year deductible or maximum (the smaller of two)."""
    rows = Benefit.objects.filter(
        practice_id=group_plan.practice_id,
        group_plan=group_plan,
        kind=kind,
        scope="general",
        level="individual",
        period="benefit_year",
        amount__gt=0,
    ).order_by("amount")
    return rows.first()


def phone_usage(*, coverage: Coverage, answers: PhoneAnswers) -> list[UsedBenefit]:
    """The remaining amounts the payer gave, as used amounts of the plan's limits on file.
    Raises ValidationError (by field) when the plan lacks the limit or the amount exceeds it."""
    group_plan = coverage.subscription.group_plan
    reported, errors = [], {}
    for kind, remaining, name in (
        (BenefitKind.MAXIMUM, answers.maximum_remaining, "maximum_remaining"),
        (BenefitKind.DEDUCTIBLE, answers.deductible_remaining, "deductible_remaining"),
    ):
        if remaining is None:
            continue
        limit = _plan_limit(group_plan, kind)
        word = "annual maximum" if kind == BenefitKind.MAXIMUM else "deductible"
        if limit is None:
            errors[name] = (
                f"The group plan has no {word} on file, so what is used cannot be worked out: "
                "add it on the group plan's page, or leave this empty."
            )
        elif remaining > limit.amount:
            errors[name] = f"More than the plan's {word} ({limit.amount})."
        else:
            reported.append(
                UsedBenefit(
                    kind=str(kind),
                    scope="general",
                    level="individual",
                    period="benefit_year",
                    limit_amount=limit.amount,
                    used_amount=limit.amount - remaining,
                )
            )
    if errors:
        raise ValidationError(errors)
    return reported


@transaction.atomic
def phone_check_record(
    *, coverage: Coverage, request: HttpRequest, answers: PhoneAnswers
) -> EligibilityCheck:
    """Record what the payer said on the phone: the check, the plan's verification date, and
    (when the coverage is active) the usage the remaining amounts imply."""
    group_plan = GroupPlan.objects.select_for_update().get(
        practice_id=coverage.practice_id, pk=coverage.subscription.group_plan_id
    )
    coverage.subscription.group_plan = group_plan
    reported = phone_usage(coverage=coverage, answers=answers) if answers.active else []
    applied = {"history_added": 0, "history_replaced": 0}
    changed = []
    if answers.active:
        usage = usage_plan(coverage=coverage, reported=reported, day=answers.checked_on)
        added, removed = _record_usage(
            coverage, usage, answers.checked_on, HistorySource.PHONE, request
        )
        applied = {"history_added": added, "history_replaced": removed}
        if added or removed:
            changed.append("history")
        newer = (
            group_plan.benefits_updated_on and group_plan.benefits_updated_on > answers.checked_on
        )
        if not newer:
            group_plan.benefits_source = BenefitsSource.MANUAL
            group_plan.benefits_updated_on = answers.checked_on
            group_plan.save(update_fields=["benefits_source", "benefits_updated_on"])
            changed += ["benefits_source", "benefits_updated_on"]
    else:
        usage = None
    check = EligibilityCheck(
        practice_id=coverage.practice_id,
        coverage=coverage,
        kind=EligibilityCheckKind.PHONE,
        checked_on=answers.checked_on,
        active=answers.active,
        spoke_with=answers.spoke_with,
        reference_number=answers.reference_number,
        notes=answers.notes,
        recorded_by=request.user,
        summary={
            "maximum_remaining": _text(answers.maximum_remaining),
            "deductible_remaining": _text(answers.deductible_remaining),
            "usage": [
                {
                    "label": line.label,
                    "limit": _text(line.limit),
                    "used": str(line.used),
                    "on_file": str(line.on_file),
                    "recorded": str(line.recorded) if line.kind else None,
                    "reason": line.reason,
                }
                for line in (usage.lines if usage else [])
            ],
            "applied": applied,
        },
    )
    check.full_clean()
    check.save()
    fields = ["active", "checked_on", "spoke_with", "notes", "reference_number"]
    audit_record(
        action="insurance.eligibility_phone_recorded",
        request=request,
        obj=check,
        patient_id=coverage.patient_id,
        detail={
            "fields": sorted(f for f in fields if getattr(check, f) not in ("", None)) + changed,
            **applied,
        },
    )
    return check


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)
