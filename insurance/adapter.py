"""From the practice's records to the estimate engine's input (contract estimate.md, section 3).

The screen builds the same scenario document that `manage.py estimate` reads, so both run the
same validation and the same arithmetic; a coordinator's puzzling number can be replayed from
the document alone. Nothing here queries the database: callers load the rows (see
`insurance.plan_estimates`) and pass them in.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from coordinator.models import Practice
from insurance.engine.values import add_months, benefit_year_start
from insurance.models import BENEFIT_FIELDS, Coverage, GroupPlan, InsuranceHistory

# The engine's list for each kind of benefit row.
_BENEFIT_LISTS = {
    "coverage": "coverage",
    "deductible": "deductibles",
    "maximum": "maximums",
    "frequency": "frequencies",
    "age_limit": "age_limits",
    "waiting_period": "waiting_periods",
    "exclusion": "exclusions",
}
_SETTINGS = (
    "secondary_ppo_writeoffs",
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
    "blank_fixed_benefit_is_zero",
    "blank_copay_is_zero",
    "blank_allowed_is_zero",
)
_PLAN_OVERRIDES = (
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
)
# Without a birth date no age limit can be checked; the estimate then assumes the patient is
# past every limit, so it disappoints on the safe side (the screen asks for the birth date).
UNKNOWN_AGE = 130


@dataclass(frozen=True)
class EstimateLine:
    """One planned procedure as the engine needs it."""

    ref: str
    code: str
    fee: Decimal
    tooth: str = ""
    surfaces: str = ""
    area: str = ""  # U, L, UR, UL, LL, LR
    priority: int | None = None
    next_benefit_year: bool = False


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def next_benefit_year_start(coverages: Sequence[Coverage], as_of: datetime.date) -> datetime.date:
    """The first day of the primary plan's next benefit year (a year from today without one)."""
    if not coverages:
        return add_months(as_of, 12)
    renewal = coverages[0].subscription.group_plan.renewal_month
    return add_months(benefit_year_start(as_of, renewal), 12)


def scenario_document(
    *,
    practice: Practice,
    birth_date: datetime.date | None,
    coverages: Sequence[Coverage],
    lines: Iterable[EstimateLine],
    as_of: datetime.date,
    patient_id,
    office_fees: dict[str, Decimal] | None = None,
) -> dict:
    """The engine's input for one patient's lines, with coverages in payment order.

    `office_fees` (the catalog's fees) is needed only for codes that lines are downgraded to:
    a percentage plan pays a downgraded line on the office fee of the cheaper code.
    """
    next_year = next_benefit_year_start(coverages, as_of)
    plans, history, family = [], [], set()
    for ordinal, coverage in enumerate(coverages, start=1):
        subscription = coverage.subscription
        ref = str(coverage.pk)
        plans.append(_plan(subscription.group_plan, ref, ordinal, subscription.effective_date))
        for entry in subscription.history.all():
            member = None if entry.patient_id == patient_id else str(entry.patient_id)
            if member:
                family.add(member)
            history.append(_history(entry, ref, member))
    patient = {"birth_date": birth_date.isoformat()} if birth_date else {"age": UNKNOWN_AGE}
    if family:
        patient["family"] = sorted(family)
    return {
        "as_of": as_of.isoformat(),
        "mode": "treatment_plan",
        "patient": patient,
        "settings": {name: getattr(practice, name) for name in _SETTINGS},
        "office_fees": {code: _money(fee) for code, fee in sorted((office_fees or {}).items())},
        "plans": plans,
        "history": history,
        "procedures": [_line(line, next_year) for line in lines],
    }


def _plan(group_plan: GroupPlan, ref: str, ordinal: int, effective_date) -> dict:
    plan = {
        "ref": ref,
        "ordinal": ordinal,
        "plan_type": group_plan.plan_type,
        "cob_rule": group_plan.cob_rule,
        "renewal_month": group_plan.renewal_month,
        "missing_tooth_clause": group_plan.missing_tooth_clause,
        "downgrades": {
            "enabled": group_plan.downgrades_enabled,
            "writeoff_on_downgraded": group_plan.writeoff_on_downgraded,
            "rules": [
                {"code": rule.code, "to": rule.to_code, "when": rule.when}
                for rule in group_plan.downgrade_rules.all()
            ],
        },
        "benefits": _benefits(group_plan),
        "fee_schedules": _fee_schedules(group_plan),
        "benefits_verified": {
            "source": group_plan.benefits_source,
            "on": group_plan.benefits_updated_on.isoformat()
            if group_plan.benefits_updated_on
            else None,
        },
    }
    if effective_date:
        plan["effective_date"] = effective_date.isoformat()
    for name in _PLAN_OVERRIDES:
        plan[name] = getattr(group_plan, name)
    return plan


def _benefits(group_plan: GroupPlan) -> dict:
    benefits: dict[str, list] = {}
    for row in group_plan.benefits.all():
        required, optional = BENEFIT_FIELDS[row.kind]
        item = {"scope": row.scope}
        for name in (*required, *optional):
            value = getattr(row, name)
            if value is None or value == "":
                continue
            item[name] = _money(value) if name == "amount" else value
        benefits.setdefault(_BENEFIT_LISTS[row.kind], []).append(item)
    return benefits


def _fee_schedules(group_plan: GroupPlan) -> dict:
    # Only schedules with entries: a percentage plan without out-of-network amounts has no
    # allowed schedule at all, and a plan without copays has no copay schedule.
    schedules: dict[str, dict[str, str]] = {}
    for entry in group_plan.fees.all():
        if entry.schedule in group_plan.schedules:
            schedules.setdefault(entry.schedule, {})[entry.code] = _money(entry.amount)
    return schedules


def _history(entry: InsuranceHistory, plan_ref: str, member: str | None) -> dict:
    item = {"plan": plan_ref, "kind": entry.kind, "date": entry.service_date.isoformat()}
    if member:
        item["member"] = member
    if entry.kind != "benefits_used":
        item["code"] = entry.code
        item |= _site(entry.tooth, entry.surfaces, entry.area)
    if entry.kind != "done_elsewhere":
        item["amount"] = _money(entry.amount)
        item["deductible"] = _money(entry.deductible)
    if entry.kind in ("paid", "pending") and entry.writeoff is not None:
        item["writeoff"] = _money(entry.writeoff)
    return item


def _site(tooth: str, surfaces: str, area: str) -> dict:
    if tooth:
        return {"tooth": tooth} | ({"surfaces": surfaces} if surfaces else {})
    if area in ("U", "L"):
        return {"arch": area}
    if area:
        return {"quadrant": area}
    return {}


def _line(line: EstimateLine, next_year: datetime.date) -> dict:
    item = {"ref": line.ref, "code": line.code, "fee": _money(line.fee)}
    item |= _site(line.tooth, line.surfaces, line.area)
    if line.priority is not None:
        item["priority"] = line.priority
    if line.next_benefit_year:
        item["date"] = next_year.isoformat()
    return item
