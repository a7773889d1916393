"""Deductibles, maximums, frequency limits, age limits and waiting periods for one line.

Rules document sections 10, 11, 15, 16, 18 and 19. Each function reads the plan's usage so
far (history plus earlier lines) and never changes it.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from insurance.engine.fees import most_specific
from insurance.engine.scenario import Line, Plan, Row, Scenario
from insurance.engine.sites import same_area
from insurance.engine.usage import Usage
from insurance.engine.values import ZERO, add_months, age_on, benefit_year_start, not_below_zero

# A deductible on one of these categories, when the plan has rows on both, is one shared
# "diagnostic and preventive" deductible.
_SHARED_DEDUCTIBLE_CATEGORIES = ("diagnostic", "preventive")


@dataclass(frozen=True)
class PlanUsage:
    """One plan's usage as seen by one line."""

    scenario: Scenario
    plan: Plan
    line: Line
    rows: tuple[Usage, ...]
    # Shared by every line of one estimate: answers that depend only on the plan and a code
    # or a date (a 30-line plan asks them thousands of times).
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def year_start(self, day: datetime.date) -> datetime.date:
        key = ("year", self.plan.renewal_month, day)
        if key not in self.memo:
            self.memo[key] = benefit_year_start(day, self.plan.renewal_month)
        return self.memo[key]

    @cached_property
    def _this_year(self) -> tuple[Usage, ...]:
        start = self.year_start(self.line.date)
        return tuple(u for u in self.rows if self.year_start(u.date) == start)

    def in_period(self, row: Row, family: bool) -> tuple[Usage, ...]:
        """Usage within a row's period (the line's benefit year, or ever), whose it may be."""
        rows = self.rows if row.lifetime else self._this_year
        return rows if family else tuple(u for u in rows if u.member is None)

    def governing(self, code: str, family: bool) -> Row | None:
        """The maximum that governs a code at one level (individual or family)."""
        key = ("maximum", self.plan.ref, code, family)
        if key not in self.memo:
            self.memo[key] = governing_maximum(self.scenario, self.plan, code, family)
        return self.memo[key]

    def whose(self, family: bool) -> list[Usage]:
        return [usage for usage in self.rows if family or usage.member is None]


# Deductibles (section 10)


def deductible_owed(usage: PlanUsage, net: Decimal) -> Decimal:
    """The deductible this line applies, at most allowed − copay (`net`)."""
    rows = usage.plan.benefits.deductibles
    owed = deductible_left(usage, rows, family=False)
    if owed is None:
        return ZERO
    family_left = deductible_left(usage, rows, family=True)
    if family_left is not None:
        owed = min(owed, family_left)
    return min(owed, net)


def deductible_left(usage: PlanUsage, rows: tuple[Row, ...], family: bool) -> Decimal | None:
    """What is left of the deductible matching the line at one level; None: no deductible."""
    code = usage.line.code
    level = [row for row in rows if row.family == family]
    matched = most_specific(level, code, lambda row: -row.amount)
    if matched is None or matched.amount == 0:
        return None
    general = most_specific(
        [row for row in level if row.scope.kind == "general" and row.amount > 0],
        code,
        lambda row: -row.amount,
    )
    in_scope = _deductible_scope(usage, level, matched)

    def applied(row: Row, counts) -> Decimal:
        return sum((u.deductible for u in usage.in_period(row, family) if counts(u)), start=ZERO)

    if general is None:
        # Deductible met entries without a code fill the only bucket there is.
        return not_below_zero(
            matched.amount - applied(matched, lambda u: u.code is None or in_scope(u.code))
        )
    general_left = general.amount - applied(general, lambda u: True)
    if matched is general:
        return not_below_zero(general_left)
    coded_in_scope = lambda u: u.code is not None and in_scope(u.code)  # noqa: E731
    matched_left = matched.amount - applied(matched, coded_in_scope)
    return not_below_zero(min(general_left, matched_left))


def _deductible_scope(usage: PlanUsage, level: list[Row], matched: Row):
    scope = matched.scope
    if scope.kind == "category" and scope.category.name in _SHARED_DEDUCTIBLE_CATEGORIES:
        shared = [
            row.scope.category
            for row in level
            if row.scope.kind == "category"
            and row.scope.category.name in _SHARED_DEDUCTIBLE_CATEGORIES
        ]
        if {category.name for category in shared} == set(_SHARED_DEDUCTIBLE_CATEGORIES):
            return lambda code: any(category.contains(code) for category in shared)
    return scope.covers


# Maximums (section 16)


@dataclass(frozen=True)
class MaximumCheck:
    amount: Decimal
    notes: tuple[str, ...]


def _covers_for_maximum(scenario: Scenario):
    general = scenario.general_category

    def covers(row: Row, code: str) -> bool:
        # The plan-wide maximum never limits orthodontics (or anything outside General).
        if row.scope.kind == "general":
            return general is None or general.contains(code)
        return row.scope.covers(code)

    return covers


def governing_maximum(scenario: Scenario, plan: Plan, code: str, family: bool) -> Row | None:
    rows = [row for row in plan.benefits.maximums if row.family == family]
    return most_specific(rows, code, lambda row: row.amount, _covers_for_maximum(scenario))


def maximum_left(usage: PlanUsage, row: Row) -> Decimal:
    """What is left of a maximum for the line's period, from usage within its scope."""

    def counts(u: Usage) -> bool:
        if u.code is None:
            return row.scope.kind == "general" or (
                row.scope.kind == "category" and row.scope.category.name == "general"
            )
        # A code with a tighter maximum of its own counts only there.
        return usage.governing(u.code, row.family) is row

    used = sum((u.amount for u in usage.in_period(row, row.family) if counts(u)), start=ZERO)
    return not_below_zero(row.amount - used)


def apply_maximums(usage: PlanUsage, estimate: Decimal) -> MaximumCheck:
    """Cap an estimate by the individual and family maximums, noting each one that bites."""
    code = usage.line.code
    individual = usage.governing(code, family=False)
    family = usage.governing(code, family=True)
    notes = []
    if individual is not None:
        individual_left = maximum_left(usage, individual)
        if estimate > individual_left:
            estimate = individual_left
            notes.append("over_lifetime_max" if individual.lifetime else "over_annual_max")
    if family is not None:
        # After the individual cap, this also covers "the family has less left".
        family_left = maximum_left(usage, family)
        if estimate > family_left:
            estimate = family_left
            notes.append(
                "over_family_lifetime_max" if family.lifetime else "over_family_annual_max"
            )
    return MaximumCheck(estimate, tuple(notes))


# Age limits, frequency limits, waiting periods (sections 15, 18, 19)


def line_age(scenario: Scenario, day: datetime.date) -> int:
    return scenario.age if scenario.age is not None else age_on(scenario.birth_date, day)


def over_age_limit(scenario: Scenario, plan: Plan, line: Line) -> bool:
    row = most_specific(plan.benefits.age_limits, line.code, lambda row: row.max_age)
    return row is not None and line_age(scenario, line.date) > row.max_age


def frequency_met(usage: PlanUsage) -> bool:
    line = usage.line
    for row in usage.plan.benefits.frequencies:
        if not row.scope.covers(line.code):
            continue
        services = {
            u.service
            for u in usage.whose(family=False)
            if u.counts_for_frequency
            and u.code is not None
            and row.scope.covers(u.code)
            and _in_window(usage, row, u.date)
            and same_area(line.site, u.site, row.area)
        }
        if len(services) >= row.count:
            return True
    return False


def _in_window(usage: PlanUsage, row: Row, day: datetime.date) -> bool:
    service_day = usage.line.date
    if row.per == "calendar_year":
        return day.year == service_day.year
    if row.per == "benefit_year":
        return usage.year_start(day) == usage.year_start(service_day)
    if row.per == "last_12_months":  # exactly twelve months away does not count
        return add_months(service_day, -12) < day < add_months(service_day, 12)
    months = row.per_n * (12 if row.per == "years" else 1)
    return add_months(service_day, -months) <= day <= add_months(service_day, months)


def in_waiting_period(plan: Plan, line: Line) -> bool:
    row = most_specific(plan.benefits.waiting_periods, line.code, lambda row: -row.months)
    start = plan.effective_date
    return (
        row is not None and start is not None and start <= line.date < add_months(start, row.months)
    )
