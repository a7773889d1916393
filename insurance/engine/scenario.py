"""A validated estimate scenario: the engine's whole input (contract estimate.md, section 3)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from insurance.engine.sites import Site

PLAN_TYPES = ("percentage", "ppo", "ppo_fixed_benefit", "flat_copay", "capitation")
PPO_TYPES = frozenset({"ppo", "ppo_fixed_benefit"})
# Which fee schedules each plan type may carry (contract 3.6).
SCHEDULES_BY_TYPE = {
    "percentage": frozenset({"allowed", "plan_fees", "copay"}),
    "ppo": frozenset({"allowed", "copay"}),
    "ppo_fixed_benefit": frozenset({"allowed", "fixed_benefit"}),
    "flat_copay": frozenset({"allowed", "copay"}),
    "capitation": frozenset({"plan_fees", "copay"}),
}
COB_RULES = ("standard", "basic", "carve_out", "secondary_medicaid")
MODES = ("treatment_plan", "single_procedure", "in_order")
DOWNGRADE_WHEN = ("always", "posterior", "molar", "second_molar", "never")
HISTORY_KINDS = ("paid", "pending", "benefits_used", "done_elsewhere")
BENEFIT_SOURCES = ("eligibility_271", "manual", "assumed")

# A schedule maps code -> amount per unit; None is blank (no fee on file), unlike 0.00.
Schedule = dict[str, Decimal | None]


@dataclass(frozen=True)
class Category:
    name: str
    order: int
    spans: tuple[tuple[str, str], ...]

    def contains(self, code: str) -> bool:
        return any(first <= code <= last for first, last in self.spans)


STANDARD_CATEGORIES = tuple(
    Category(name, order, tuple(spans))
    for name, order, spans in (
        ("general", 0, [("D0000", "D7999"), ("D9000", "D9999")]),
        ("diagnostic", 1, [("D0000", "D0999")]),
        ("diagnostic_xray", 2, [("D0200", "D0399")]),
        ("preventive", 3, [("D1000", "D1999")]),
        ("restorative", 4, [("D2000", "D2999")]),
        ("endodontics", 5, [("D3000", "D3999")]),
        ("periodontics", 6, [("D4000", "D4999")]),
        ("oral_surgery", 7, [("D7000", "D7999")]),
        ("crowns", 8, [("D2700", "D2799")]),
        ("prosthodontics", 9, [("D5000", "D5899"), ("D6200", "D6999")]),
        ("maxillofacial_prosthetics", 10, [("D5900", "D5999")]),
        ("implants", 11, [("D6000", "D6199")]),
        ("orthodontics", 12, [("D8000", "D8999")]),
        ("adjunctive", 13, [("D9000", "D9999")]),
    )
)


@dataclass(frozen=True)
class Scope:
    """Which codes a benefit row covers: general, a category, a code group or one code."""

    kind: str  # "general" | "category" | "code_group" | "code"
    category: Category | None = None
    codes: frozenset[str] = frozenset()

    def covers(self, code: str) -> bool:
        if self.kind == "general":
            return True
        if self.kind == "category":
            return self.category.contains(code)
        return code in self.codes

    @property
    def specificity(self) -> tuple[int, int]:
        """Higher is more specific: code > code group > category (by order) > general."""
        if self.kind == "code":
            return (3, 0)
        if self.kind == "code_group":
            return (2, 0)
        if self.kind == "category":
            return (1, self.category.order)
        return (0, 0)


@dataclass(frozen=True)
class Row:
    """One benefit row; which fields matter depends on the list it came from."""

    scope: Scope
    percent: int = 0
    amount: Decimal = Decimal(0)
    family: bool = False
    lifetime: bool = False
    count: int = 1
    per: str = ""  # calendar_year | benefit_year | last_12_months | months | years
    per_n: int = 0
    area: str | None = None
    max_age: int = 0
    months: int = 0


@dataclass(frozen=True)
class Benefits:
    coverage: tuple[Row, ...] = ()
    deductibles: tuple[Row, ...] = ()
    maximums: tuple[Row, ...] = ()
    frequencies: tuple[Row, ...] = ()
    age_limits: tuple[Row, ...] = ()
    waiting_periods: tuple[Row, ...] = ()
    exclusions: tuple[Row, ...] = ()


@dataclass(frozen=True)
class DowngradeRule:
    code: str
    to: str
    when: str


@dataclass(frozen=True)
class Plan:
    ref: str
    ordinal: int
    plan_type: str
    cob_rule: str = "standard"
    renewal_month: int = 1
    effective_date: datetime.date | None = None
    schedules: dict[str, Schedule] = field(default_factory=dict)
    downgrades_enabled: bool = True
    writeoff_on_downgraded: bool = True
    downgrade_rules: tuple[DowngradeRule, ...] = ()
    benefits: Benefits = Benefits()
    # Plan overrides of the practice settings; None follows the setting.
    zero_writeoff_when_max_reached: bool | None = None
    zero_writeoff_on_frequency_or_age_limit: bool | None = None
    office_fee_for_exclusions: bool | None = None
    missing_tooth_clause: bool = False
    benefits_source: str | None = None
    benefits_verified_on: datetime.date | None = None

    @property
    def is_ppo(self) -> bool:
        return self.plan_type in PPO_TYPES


@dataclass(frozen=True)
class Settings:
    secondary_ppo_writeoffs: bool = False
    zero_writeoff_when_max_reached: bool = False
    zero_writeoff_on_frequency_or_age_limit: bool = False
    office_fee_for_exclusions: bool = False
    blank_fixed_benefit_is_zero: bool = False
    blank_copay_is_zero: bool = True
    blank_allowed_is_zero: bool = False

    def for_plan(self, plan: Plan, name: str) -> bool:
        override = getattr(plan, name)
        return getattr(self, name) if override is None else override


@dataclass(frozen=True)
class HistoryEntry:
    plan: str
    kind: str
    member: str | None  # None: this patient
    code: str | None
    date: datetime.date
    amount: Decimal = Decimal(0)
    deductible: Decimal = Decimal(0)
    writeoff: Decimal | None = None
    site: Site = Site()
    service: str | None = None
    procedure: str | None = None  # the line this plan has already claimed


@dataclass(frozen=True)
class Override:
    ins_estimate: Decimal | None = None
    percentage: int | None = None


@dataclass(frozen=True)
class Line:
    ref: str
    code: str
    fee: Decimal | None  # per unit; None: charged from the office fees
    units: int
    site: Site
    priority: int | None
    date: datetime.date
    overrides: dict[str, Override] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    as_of: datetime.date
    mode: str
    plans: tuple[Plan, ...]  # by ordinal
    lines: tuple[Line, ...]
    birth_date: datetime.date | None = None
    age: int | None = None
    family: tuple[str, ...] = ()
    categories: tuple[Category, ...] = STANDARD_CATEGORIES
    settings: Settings = Settings()
    office_fees: Schedule = field(default_factory=dict)
    history: tuple[HistoryEntry, ...] = ()
    id: str | None = None

    @property
    def general_category(self) -> Category | None:
        return next((c for c in self.categories if c.name == "general"), None)
