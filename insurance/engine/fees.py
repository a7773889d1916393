"""What a plan recognises for a line: coverage, downgrade, allowed amount, copay, charged fee.

Rules document sections 2, 5-9 and 12.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal

from insurance.engine.scenario import Line, Plan, Row, Scenario
from insurance.engine.sites import MOLARS, POSTERIOR, SECOND_MOLARS
from insurance.engine.values import ZERO, not_below_zero

ALWAYS_FULL_COVERAGE = frozenset({"flat_copay", "capitation", "ppo_fixed_benefit"})


def most_specific(
    rows: Iterable[Row],
    code: str,
    worse_for_patient: Callable[[Row], object],
    covers: Callable[[Row, str], bool] = lambda row, code: row.scope.covers(code),
) -> Row | None:
    """The matching row that wins; ties between equally specific rows go against the patient."""
    matching = [row for row in rows if covers(row, code)]
    if not matching:
        return None
    top = max(row.scope.specificity for row in matching)
    return min((row for row in matching if row.scope.specificity == top), key=worse_for_patient)


def is_excluded(plan: Plan, code: str) -> bool:
    return any(row.scope.covers(code) for row in plan.benefits.exclusions)


def own_percentage(plan: Plan, code: str) -> int:
    """The plan's coverage percentage for a code, before any per-line override."""
    if plan.plan_type in ALWAYS_FULL_COVERAGE:
        return 100
    row = most_specific(plan.benefits.coverage, code, lambda row: row.percent)
    return row.percent if row else 0


def uses_office_fee_for(scenario: Scenario, plan: Plan, code: str) -> bool:
    """The office-fee-for-exclusions rule applies: the plan excludes the code or pays 0%."""
    return scenario.settings.for_plan(plan, "office_fee_for_exclusions") and (
        is_excluded(plan, code) or own_percentage(plan, code) == 0
    )


def substitute_code(plan: Plan, line: Line) -> str | None:
    """The cheaper code a downgrade rule pays this line as, if one applies (section 6)."""
    if plan.plan_type == "capitation" or not plan.downgrades_enabled:
        return None
    rules = [rule for rule in plan.downgrade_rules if rule.code == line.code]
    if any(rule.when == "never" for rule in rules):
        return None
    tooth = line.site.tooth
    levels = (("second_molar", SECOND_MOLARS), ("molar", MOLARS), ("posterior", POSTERIOR))
    for when, teeth in levels:
        if tooth in teeth:
            rule = next((rule for rule in rules if rule.when == when), None)
            if rule:
                return rule.to
    rule = next((rule for rule in rules if rule.when == "always"), None)
    return rule.to if rule else None


def _on_file(schedule: dict, substitute: str | None, code: str) -> Decimal | None:
    """The substitute code's amount when on file, else the original code's (None: blank)."""
    if substitute and schedule.get(substitute) is not None:
        return schedule[substitute]
    return schedule.get(code)


def allowed_amount(
    scenario: Scenario, plan: Plan, line: Line, unit_fee: Decimal, substitute: str | None
) -> Decimal:
    """Section 7: per unit, times units, never more than the line's fee."""
    fee = unit_fee * line.units
    if plan.plan_type == "capitation":
        return fee
    schedule = plan.schedules.get("allowed")
    if plan.plan_type != "percentage" or schedule is not None:
        schedule = schedule or {}
        per_unit = schedule.get(line.code)
        downgraded = schedule.get(substitute) if substitute else None
        # A downgrade never raises what is allowed: a blank original allows the whole fee.
        ceiling = unit_fee if per_unit is None else per_unit
        if downgraded is not None and downgraded <= ceiling:
            per_unit = downgraded
        if per_unit is None:
            return ZERO if scenario.settings.blank_allowed_is_zero else fee
        return min(per_unit * line.units, fee)
    if substitute:
        per_unit = plan.schedules.get("plan_fees", {}).get(substitute)
        if per_unit is None:
            per_unit = scenario.office_fees.get(substitute)
        if per_unit is not None:
            return min(per_unit * line.units, fee)
    return fee


def contracted_fee(plan: Plan, code: str) -> Decimal | None:
    """A PPO's fee for the original code: the write-off basis (None: blank, no write-off)."""
    return plan.schedules.get("allowed", {}).get(code)


def copay_amount(
    scenario: Scenario, plan: Plan, line: Line, allowed: Decimal, substitute: str | None
) -> Decimal | None:
    """Section 8; None when the plan has no copay for the line."""
    settings = scenario.settings
    if plan.plan_type == "ppo_fixed_benefit":
        fixed = _on_file(plan.schedules.get("fixed_benefit", {}), substitute, line.code)
        if fixed is None:
            if not settings.blank_fixed_benefit_is_zero:
                return None
            fixed = ZERO
        return min(not_below_zero(allowed - fixed * line.units), allowed)
    schedule = plan.schedules.get("copay")
    if schedule is None:
        return None
    per_unit = _on_file(schedule, substitute, line.code)
    if per_unit is None:
        # Either no copay, or the patient owes the plan's whole fee for the code.
        return None if settings.blank_copay_is_zero else allowed
    return min(per_unit * line.units, allowed)


def charged_unit_fee(scenario: Scenario, line: Line) -> Decimal:
    """Section 5: the line's fee per unit when it was not given."""
    if line.fee is not None:
        return line.fee
    office = scenario.office_fees[line.code]
    if not scenario.plans:
        return office
    primary = scenario.plans[0]
    if uses_office_fee_for(scenario, primary, line.code):
        return office
    if primary.is_ppo:
        contracted = contracted_fee(primary, line.code)
        return office if contracted is None else max(office, contracted)
    name = "allowed" if primary.plan_type == "flat_copay" else "plan_fees"
    own = primary.schedules.get(name, {}).get(line.code)
    return office if own is None else own
