"""Insurance estimates for a treatment plan's options: what the plan screen and the
presentation show, from the engine (through `insurance.adapter`).

Each option is estimated on its own (the patient will do one of them), with its phases in
clinical order; a phase moved to the next benefit year is dated on the first day of the
primary plan's next benefit year.
"""

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q

from coordinator.models import Practice
from insurance import engine
from insurance.adapter import EstimateLine, next_benefit_year_start, scenario_document
from insurance.engine.remaining import remaining
from insurance.engine.values import ZERO, add_months, benefit_year_start
from insurance.models import BenefitsSource, Coverage, InsuranceHistory
from plans.models import PlannedProcedure, ProcedureCode, ProcedureStatus

NOTE_TEXT = {
    "excluded": "Not covered: the plan excludes this procedure.",
    "not_covered": "Not covered: the plan pays 0% for this.",
    "age_limit": "Not covered at the patient's age.",
    "over_annual_max": "The annual maximum is reached.",
    "over_lifetime_max": "The lifetime maximum is reached.",
    "over_family_annual_max": "The family's annual maximum is reached.",
    "over_family_lifetime_max": "The family's lifetime maximum is reached.",
    "frequency_limit": "Frequency limit reached: the plan already paid for this recently.",
    "waiting_period": "In the plan's waiting period.",
    "missing_tooth_clause": (
        "This plan may not pay if the tooth was missing before coverage started: confirm with "
        "the payer or send a pre-authorization."
    ),
    "claim_paid": "Already paid by this plan.",
    "claim_pending": "Claim sent to this plan, not yet paid.",
}


@dataclass(frozen=True)
class Totals:
    fee: Decimal = ZERO
    insurance: Decimal = ZERO
    writeoff: Decimal = ZERO
    patient: Decimal = ZERO

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(
            self.fee + other.fee,
            self.insurance + other.insurance,
            self.writeoff + other.writeoff,
            self.patient + other.patient,
        )


@dataclass(frozen=True)
class PlanShare:
    """One coverage's part of a procedure's estimate."""

    coverage_id: uuid.UUID
    label: str
    insurance: Decimal
    writeoff: Decimal | None
    deductible: Decimal
    allowed: Decimal | None
    percentage: int | None
    substituted_code: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ProcedureEstimate:
    order: int
    totals: Totals
    deductible: Decimal
    shares: tuple[PlanShare, ...]
    next_benefit_year: bool

    @property
    def notes(self) -> list[str]:
        """Every share's notes in words, each once; a downgrade says what it is paid as. With
        more than one plan, each note says which plan it is about."""
        texts = []
        named = len(self.shares) > 1
        for share in self.shares:
            if share.substituted_code:
                texts.append(f"{share.label} pays this as {share.substituted_code}.")
            for note in share.notes:
                texts.append(f"{share.label}: {NOTE_TEXT[note]}" if named else NOTE_TEXT[note])
        return list(dict.fromkeys(texts))

    @property
    def codes(self) -> list[str]:
        return sorted({note for share in self.shares for note in share.notes})


@dataclass(frozen=True)
class CoverageStatus:
    """Where a coverage's benefit data came from, how old it is, and what is left of it."""

    coverage: Coverage
    ordinal: int
    source: str
    verified_on: datetime.date | None
    age_days: int | None
    warnings: tuple[str, ...]
    maximum_before: Decimal | None
    maximum_after: Decimal | None
    deductible_before: Decimal | None
    deductible_after: Decimal | None
    next_year_maximum_after: Decimal | None = None

    @property
    def label(self) -> str:
        return coverage_label(self.coverage)

    @property
    def source_text(self) -> str:
        return BenefitsSource(self.source).label


@dataclass(frozen=True)
class OptionEstimate:
    procedures: dict[uuid.UUID, ProcedureEstimate]
    by_phase: dict[int, Totals]
    total: Totals
    coverages: tuple[CoverageStatus, ...]
    scenario: dict = field(repr=False)
    has_insurance: bool = True
    age_unknown: bool = False


_ORDINAL_WORDS = {1: "primary", 2: "secondary", 3: "tertiary", 4: "fourth"}


def coverage_label(coverage: Coverage) -> str:
    carrier = coverage.subscription.group_plan.carrier
    return f"{carrier.name} ({_ORDINAL_WORDS[coverage.ordinal]})"


def patient_coverages(*, patient, as_of: datetime.date) -> list[Coverage]:
    """The patient's coverages in force on `as_of`, in payment order, with everything the
    estimate reads (benefits, downgrades, fees, and the whole family's history) in five
    queries."""
    history = InsuranceHistory.objects.order_by("service_date", "recorded_at", "id")
    return list(
        Coverage.objects.filter(patient=patient, practice=patient.practice_id)
        .filter(Q(subscription__ended_on__isnull=True) | Q(subscription__ended_on__gte=as_of))
        .select_related("subscription__group_plan__carrier")
        .prefetch_related(
            "subscription__group_plan__benefits",
            "subscription__group_plan__downgrade_rules",
            "subscription__group_plan__fees",
            Prefetch("subscription__history", queryset=history),
        )
        .order_by("ordinal")
    )


def estimated_procedures(procedures: Sequence[PlannedProcedure]) -> list[PlannedProcedure]:
    """What the patient may still have done: declined work uses no benefits."""
    return [p for p in procedures if p.status != ProcedureStatus.DECLINED]


def estimate_option(
    *,
    practice: Practice,
    patient,
    procedures: Sequence[PlannedProcedure],
    coverages: Sequence[Coverage],
    as_of: datetime.date,
    next_year_phases: frozenset[int] | None = None,
) -> OptionEstimate:
    """Estimate an option's procedures (with `phase` and `procedure_code` loaded).

    `next_year_phases` overrides which phases are dated in the next benefit year (the split
    suggestion tries alternatives); by default each phase's own setting decides.
    """
    procedures = estimated_procedures(procedures)
    lines = [
        EstimateLine(
            ref=str(p.pk),
            code=p.procedure_code.code,
            fee=p.fee,
            tooth=p.tooth,
            surfaces=p.surfaces,
            area=p.area,
            priority=p.phase.number,
            next_benefit_year=(
                p.phase.next_benefit_year
                if next_year_phases is None
                else p.phase.number in next_year_phases
            ),
        )
        for p in procedures
    ]
    document = scenario_document(
        practice=practice,
        birth_date=patient.birth_date,
        coverages=coverages,
        lines=lines,
        as_of=as_of,
        patient_id=patient.pk,
        office_fees=_downgrade_office_fees(practice, coverages),
    )
    result = engine.estimate(engine.read_scenario(document))
    by_ref = {str(p.pk): p for p in procedures}
    labels = {str(c.pk): coverage_label(c) for c in coverages}
    estimates: dict[uuid.UUID, ProcedureEstimate] = {}
    by_phase: dict[int, Totals] = {}
    for line in result.lines:
        procedure = by_ref[line.line.ref]
        totals = Totals(line.fee, line.ins_total, line.writeoff_total, line.patient_portion)
        estimates[procedure.pk] = ProcedureEstimate(
            order=line.order,
            totals=totals,
            deductible=sum((p.deductible for p in line.plans), start=ZERO),
            shares=tuple(
                PlanShare(
                    coverage_id=uuid.UUID(p.plan.ref),
                    label=labels[p.plan.ref],
                    insurance=p.ins_estimate,
                    writeoff=p.writeoff,
                    deductible=p.deductible,
                    allowed=p.allowed,
                    percentage=p.percentage,
                    substituted_code=p.substituted_code,
                    notes=tuple(p.notes),
                )
                for p in line.plans
            ),
            next_benefit_year=line.line.date != as_of,
        )
        number = procedure.phase.number
        by_phase[number] = by_phase.get(number, Totals()) + totals
    return OptionEstimate(
        procedures=estimates,
        by_phase=dict(sorted(by_phase.items())),
        total=sum(by_phase.values(), start=Totals()),
        coverages=_statuses(practice, coverages, result, as_of),
        scenario=document,
        has_insurance=bool(coverages),
        age_unknown=patient.birth_date is None,
    )


def _downgrade_office_fees(practice, coverages) -> dict[str, Decimal]:
    """The catalog fees of the codes a percentage plan without allowed amounts downgrades to
    (a query only when such a plan has downgrade rules)."""
    codes = {
        rule.to_code
        for coverage in coverages
        if coverage.subscription.group_plan.plan_type == "percentage"
        for rule in coverage.subscription.group_plan.downgrade_rules.all()
    }
    if not codes:
        return {}
    return dict(
        ProcedureCode.objects.filter(practice=practice, code__in=codes).values_list("code", "fee")
    )


def _statuses(practice, coverages, result, as_of) -> tuple[CoverageStatus, ...]:
    statuses = []
    next_year = next_benefit_year_start(coverages, as_of)
    deferred = any(line.line.date == next_year for line in result.lines)
    for plan, coverage in zip(result.scenario.plans, coverages, strict=True):
        before = remaining(result, plan, as_of, after=False)
        after = remaining(result, plan, as_of, after=True)
        group_plan = coverage.subscription.group_plan
        verified_on = group_plan.benefits_updated_on
        statuses.append(
            CoverageStatus(
                coverage=coverage,
                ordinal=plan.ordinal,
                source=group_plan.benefits_source,
                verified_on=verified_on,
                age_days=(as_of - verified_on).days if verified_on else None,
                warnings=stale_warnings(
                    group_plan.benefits_source,
                    verified_on,
                    as_of,
                    renewal_month=group_plan.renewal_month,
                    stale_after_days=practice.benefits_stale_after_days,
                ),
                maximum_before=before.maximum,
                maximum_after=after.maximum,
                deductible_before=before.deductible,
                deductible_after=after.deductible,
                next_year_maximum_after=(
                    remaining(result, plan, next_year, after=True).maximum if deferred else None
                ),
            )
        )
    return tuple(statuses)


def stale_warnings(
    source: str,
    verified_on: datetime.date | None,
    as_of: datetime.date,
    *,
    renewal_month: int,
    stale_after_days: int,
) -> tuple[str, ...]:
    """Why the benefit data may be wrong (rules document, section 26)."""
    warnings = []
    if source == BenefitsSource.ASSUMED:
        warnings.append("Benefits are assumed, not verified with the payer.")
    if verified_on is None:
        if source != BenefitsSource.ASSUMED:
            warnings.append("The verification date is unknown.")
        return tuple(warnings)
    if (as_of - verified_on).days > stale_after_days:
        warnings.append(f"Verified more than {stale_after_days} days ago.")
    if verified_on < benefit_year_start(as_of, renewal_month):
        warnings.append(
            "Verified before this benefit year started: used maximums and deductibles have reset."
        )
    return tuple(warnings)


# --- Splitting an option across benefit years ----------------------------------------------------


@dataclass(frozen=True)
class SplitSuggestion:
    next_year_phases: frozenset[int]
    patient_total: Decimal
    current_patient_total: Decimal
    next_year_starts: datetime.date

    @property
    def saving(self) -> Decimal:
        return self.current_patient_total - self.patient_total


def suggest_split(
    *,
    practice: Practice,
    patient,
    procedures: Sequence[PlannedProcedure],
    phases: Sequence,
    coverages: Sequence[Coverage],
    as_of: datetime.date,
) -> SplitSuggestion | None:
    """Which phases to do now and which after renewal, to lower what the patient pays.

    Clinical order is kept (once a phase waits, every later phase waits too), and a phase
    waits only if the dentist allows it to wait that long (`may_wait_months`). None when no
    split costs the patient less than the option as it is planned now.
    """
    if not coverages or not procedures:
        return None
    next_year = next_benefit_year_start(coverages, as_of)
    phases = sorted(phases, key=lambda phase: phase.number)

    def patient_total(next_year_phases: frozenset[int] | None) -> Decimal:
        estimate = estimate_option(
            practice=practice,
            patient=patient,
            procedures=procedures,
            coverages=coverages,
            as_of=as_of,
            next_year_phases=next_year_phases,
        )
        return estimate.total.patient

    current = patient_total(None)
    best = None
    for start in range(len(phases), -1, -1):
        waiting = phases[start:]
        if any(add_months(as_of, phase.may_wait_months) < next_year for phase in waiting):
            break
        numbers = frozenset(phase.number for phase in waiting)
        total = patient_total(numbers)
        if total < current and (best is None or total < best.patient_total):
            best = SplitSuggestion(numbers, total, current, next_year)
    return best


def benefits_summary(estimate: OptionEstimate) -> list[dict]:
    """The coverages' data as shown with the estimate, to freeze with a presentation."""

    def money(amount: Decimal | None) -> str | None:
        return None if amount is None else f"{amount:.2f}"

    return [
        {
            "label": status.label,
            "source": status.source,
            "verified_on": status.verified_on.isoformat() if status.verified_on else None,
            "age_days": status.age_days,
            "warnings": list(status.warnings),
            "maximum_before": money(status.maximum_before),
            "maximum_after": money(status.maximum_after),
            "deductible_before": money(status.deductible_before),
            "deductible_after": money(status.deductible_after),
        }
        for status in estimate.coverages
    ]
