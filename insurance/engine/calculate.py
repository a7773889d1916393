"""The estimate: every line, every plan, in the order of operations (rules section 3)."""

from dataclasses import dataclass, field
from decimal import Decimal

from insurance.engine import fees, limits
from insurance.engine.limits import PlanUsage
from insurance.engine.scenario import HistoryEntry, Line, Plan, Scenario
from insurance.engine.sites import tooth_position
from insurance.engine.usage import Usage, usage_from_history, usage_from_line
from insurance.engine.values import ZERO, not_below_zero, percent_of

_REPLACES_TEETH = (("D5000", "D5899"), ("D6000", "D6999"))


@dataclass
class PlanEstimate:
    plan: Plan
    allowed: Decimal | None = None
    substituted_code: str | None = None
    copay: Decimal | None = None
    deductible: Decimal = ZERO
    percentage: int | None = None
    base_estimate: Decimal = ZERO
    ins_estimate: Decimal = ZERO
    writeoff: Decimal | None = None
    notes: list[str] = field(default_factory=list)
    claimed: bool = False


@dataclass
class LineEstimate:
    line: Line
    order: int
    fee: Decimal
    plans: list[PlanEstimate]

    @property
    def ins_total(self) -> Decimal:
        return sum((p.ins_estimate for p in self.plans), start=ZERO)

    @property
    def writeoff_total(self) -> Decimal:
        return sum((p.writeoff for p in self.plans if p.writeoff is not None), start=ZERO)

    @property
    def patient_portion(self) -> Decimal:
        return self.fee - self.ins_total - self.writeoff_total


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    lines: tuple[LineEstimate, ...]
    # Each plan's usage after the last line (history plus what the lines will use).
    usage: dict[str, tuple[Usage, ...]]


def plan_order(scenario: Scenario) -> list[Line]:
    if scenario.mode != "treatment_plan":
        return list(scenario.lines)

    def key(indexed: tuple[int, Line]):
        index, line = indexed
        tooth = (1, tooth_position(line.site.tooth)) if line.site.tooth else (0, 0)
        return (line.priority is None, line.priority or 0, tooth, line.date, index)

    return [line for _, line in sorted(enumerate(scenario.lines), key=key)]


def estimate(scenario: Scenario) -> Result:
    usage = {plan.ref: [] for plan in scenario.plans}
    for index, entry in enumerate(scenario.history):
        usage[entry.plan].append(usage_from_history(entry, index))
    accumulate = scenario.mode != "single_procedure"
    memo: dict = {}
    lines = []
    for order, line in enumerate(plan_order(scenario), start=1):
        result = _estimate_line(scenario, line, order, usage, memo)
        lines.append(result)
        if accumulate:
            for plan_estimate in result.plans:
                if not plan_estimate.claimed:  # a claim is already in the history
                    usage[plan_estimate.plan.ref].append(
                        usage_from_line(
                            line.ref,
                            line.code,
                            line.date,
                            line.site,
                            plan_estimate.ins_estimate,
                            plan_estimate.deductible,
                        )
                    )
    return Result(scenario, tuple(lines), {ref: tuple(rows) for ref, rows in usage.items()})


def _estimate_line(scenario: Scenario, line: Line, order: int, usage, memo) -> LineEstimate:
    unit_fee = fees.charged_unit_fee(scenario, line)
    fee = unit_fee * line.units
    paid = paid_base = written_off = ZERO
    results = []
    for plan in scenario.plans:
        claims = [e for e in scenario.history if e.procedure == line.ref and e.plan == plan.ref]
        if claims:
            result = _claimed(plan, claims)
        else:
            plan_usage = PlanUsage(scenario, plan, line, tuple(usage[plan.ref]), memo)
            result = _estimate_plan(plan_usage, unit_fee, paid, paid_base, written_off)
        results.append(result)
        paid += result.ins_estimate
        paid_base += result.base_estimate
        written_off += result.writeoff or ZERO
    _trim_primary_writeoff(scenario, results, fee)
    return LineEstimate(line, order, fee, results)


def _claimed(plan: Plan, claims: list[HistoryEntry]) -> PlanEstimate:
    """A plan that has already paid (or been sent) this line: its real figures (section 21)."""
    amount = sum((e.amount for e in claims), start=ZERO)
    writeoffs = [e.writeoff for e in claims if e.writeoff is not None]
    pending = any(e.kind == "pending" for e in claims)
    return PlanEstimate(
        plan=plan,
        deductible=sum((e.deductible for e in claims), start=ZERO),
        base_estimate=amount,
        ins_estimate=amount,
        writeoff=sum(writeoffs, start=ZERO) if writeoffs else None,
        notes=["claim_pending" if pending else "claim_paid"],
        claimed=True,
    )


def _estimate_plan(
    usage: PlanUsage, unit_fee: Decimal, paid: Decimal, paid_base: Decimal, written_off: Decimal
) -> PlanEstimate:
    scenario, plan, line = usage.scenario, usage.plan, usage.line
    settings = scenario.settings
    code = line.code
    fee = unit_fee * line.units
    excluded = fees.is_excluded(plan, code)
    substitute = fees.substitute_code(plan, line)
    allowed = fees.allowed_amount(scenario, plan, line, unit_fee, substitute)
    copay = fees.copay_amount(scenario, plan, line, allowed, substitute)
    result = PlanEstimate(plan, allowed, substitute, copay)
    office_fee_rule = fees.uses_office_fee_for(scenario, plan, code)

    if plan.plan_type == "capitation":  # paid per member: the office writes off all but copay
        if excluded:
            result.notes.append("excluded")
        result.writeoff = None if office_fee_rule else allowed - (copay or ZERO)
        _warn_missing_tooth(result, line)
        return result

    own_percentage = fees.own_percentage(plan, code)
    override = line.overrides.get(plan.ref)
    percentage = own_percentage
    if override and override.percentage is not None:
        percentage = override.percentage
    net = allowed - (copay or ZERO)
    deductible = ZERO
    if not excluded and own_percentage > 0:
        deductible = limits.deductible_owed(usage, net)
    result.percentage = percentage
    result.deductible = deductible
    base = percent_of(net, percentage)
    estimate = percent_of(net - deductible, percentage)

    # Coordination of benefits (section 13).
    if plan.ordinal >= 2:
        rule = plan.cob_rule
        if rule == "secondary_medicaid":
            rule = "basic" if plan.ordinal == 2 else "standard"
        if rule == "standard":
            estimate = min(estimate, base, fee - paid - written_off)
            base = min(base, fee - paid_base - written_off)
        elif rule == "basic":
            estimate = min(estimate, allowed - paid)
            base = min(base, allowed - paid_base)
        else:  # carve_out
            estimate = estimate - paid
            base = base - paid_base
        estimate, base = not_below_zero(estimate), not_below_zero(base)

    if excluded:
        base = estimate = ZERO
        result.notes.append("excluded")
    elif percentage == 0:
        result.notes.append("not_covered")

    over_age = limits.over_age_limit(scenario, plan, line)
    if over_age:
        estimate = ZERO
        result.notes.append("age_limit")
    before_maximums = estimate
    maximums = limits.apply_maximums(usage, estimate)
    estimate = maximums.amount
    maximum_notes = maximums.notes

    writeoff = _writeoff(
        usage, fee, paid, written_off, estimate, office_fee_rule, substitute is not None
    )
    zero_on_limits = settings.for_plan(plan, "zero_writeoff_on_frequency_or_age_limit")
    if writeoff is not None:
        maximum_denied = before_maximums > 0 and estimate == 0
        if maximum_denied and settings.for_plan(plan, "zero_writeoff_when_max_reached"):
            writeoff = ZERO
        if over_age and zero_on_limits:
            writeoff = ZERO

    late_notes = []
    if limits.frequency_met(usage):
        base = estimate = result.deductible = ZERO
        late_notes.append("frequency_limit")
        if writeoff is not None and zero_on_limits:
            writeoff = ZERO
    if limits.in_waiting_period(plan, line):
        base = estimate = result.deductible = ZERO
        late_notes.append("waiting_period")

    if override and override.ins_estimate is not None:
        estimate = override.ins_estimate
        # Maximum notes are judged against what the coordinator says the plan will pay.
        maximum_notes = limits.apply_maximums(usage, estimate).notes

    result.base_estimate = base
    result.ins_estimate = estimate
    result.writeoff = writeoff
    result.notes.extend(maximum_notes)
    result.notes.extend(late_notes)
    _warn_missing_tooth(result, line)
    return result


def _writeoff(
    usage: PlanUsage,
    fee: Decimal,
    paid: Decimal,
    written_off: Decimal,
    estimate: Decimal,
    office_fee_rule: bool,
    downgraded: bool,
) -> Decimal | None:
    """Section 17.2: the first step that applies decides."""
    plan, line = usage.plan, usage.line
    if office_fee_rule:
        return ZERO if plan.is_ppo else None
    if plan.cob_rule == "secondary_medicaid" and plan.ordinal == 2:
        return not_below_zero(fee - paid - written_off - estimate)
    if not plan.is_ppo or (downgraded and not plan.writeoff_on_downgraded):
        return None
    contracted = fees.contracted_fee(plan, line.code)
    normal = ZERO if contracted is None else not_below_zero(fee - contracted * line.units)
    room = not_below_zero(fee - paid - written_off)
    earlier_paid = paid > 0 and not usage.scenario.settings.secondary_ppo_writeoffs
    writeoff = ZERO if earlier_paid or written_off > 0 else min(normal, room)
    if paid + written_off + estimate + writeoff > fee:
        writeoff = not_below_zero(fee - paid - written_off - estimate)
    return writeoff


def _trim_primary_writeoff(scenario: Scenario, results: list[PlanEstimate], fee: Decimal) -> None:
    """Section 17.4: the plans together never pay plus write off more than the fee."""
    primary = results[0] if results else None
    if len(results) < 2 or not primary.plan.is_ppo or primary.claimed or primary.writeoff is None:
        return
    insurance = sum((r.ins_estimate for r in results), start=ZERO)
    if insurance + primary.writeoff > fee:
        primary.writeoff = not_below_zero(fee - insurance)


def _warn_missing_tooth(result: PlanEstimate, line: Line) -> None:
    if result.plan.missing_tooth_clause and any(
        first <= line.code <= last for first, last in _REPLACES_TEETH
    ):
        result.notes.append("missing_tooth_clause")
