"""What is left of a plan's general maximum and deductible on a day (for the plan screen).

"Remaining maximum and deductible before and after the plan": before counts the history
only, after counts the history and every line of the estimate.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from insurance.engine.calculate import Result
from insurance.engine.fees import most_specific
from insurance.engine.limits import PlanUsage, deductible_left, maximum_left
from insurance.engine.scenario import Line, Plan, Row
from insurance.engine.sites import Site
from insurance.engine.usage import usage_from_history

# A code of the General category, standing for "any code the plan-wide rows cover".
_GENERAL_CODE = "D0120"


@dataclass(frozen=True)
class Remaining:
    maximum: Decimal | None  # None: the plan has no plan-wide individual maximum
    deductible: Decimal | None  # None: no plan-wide individual deductible


def remaining(result: Result, plan: Plan, day: datetime.date, *, after: bool) -> Remaining:
    scenario = result.scenario
    if after:
        rows = result.usage[plan.ref]
    else:
        rows = tuple(
            usage_from_history(entry, index)
            for index, entry in enumerate(scenario.history)
            if entry.plan == plan.ref
        )
    probe = Line(
        ref="", code=_GENERAL_CODE, fee=None, units=1, site=Site(), priority=None, date=day
    )
    usage = PlanUsage(scenario, plan, probe, rows)
    maximum = most_specific(
        [row for row in plan.benefits.maximums if _plan_wide(row)],
        _GENERAL_CODE,
        lambda row: row.amount,
    )
    deductibles = tuple(row for row in plan.benefits.deductibles if _plan_wide(row))
    return Remaining(
        maximum=maximum_left(usage, maximum) if maximum else None,
        deductible=deductible_left(usage, deductibles, family=False) if deductibles else None,
    )


def _plan_wide(row: Row) -> bool:
    return row.scope.kind == "general" and not row.family
