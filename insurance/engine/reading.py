"""Read and validate a scenario given as parsed JSON (contract estimate.md, sections 1-3).

Every problem raises `ScenarioError` naming the field like a JSON path
(`plans[0].benefits.coverage[2].percent`). Unknown fields are errors anywhere: they are
usually typos, and a typo silently ignored gives a wrong estimate.
"""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

from insurance.engine.scenario import (
    BENEFIT_SOURCES,
    COB_RULES,
    DOWNGRADE_WHEN,
    HISTORY_KINDS,
    MODES,
    PLAN_TYPES,
    SCHEDULES_BY_TYPE,
    STANDARD_CATEGORIES,
    Benefits,
    Category,
    DowngradeRule,
    HistoryEntry,
    Line,
    Override,
    Plan,
    Row,
    Scenario,
    Schedule,
    Scope,
    Settings,
)
from insurance.engine.sites import ARCHES, PERMANENT, PRIMARY, QUADRANTS, Site, parse_tooth_range

MAX_PLANS = 4
_MONEY = re.compile(r"\d+(\.\d{1,2})?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CODE = re.compile(r"D\d{4}", re.ASCII)
_REF = re.compile(r"[A-Za-z0-9_.:-]{1,64}", re.ASCII)
_CATEGORY_NAME = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_PER = re.compile(
    r"(calendar_year|benefit_year|last_12_months)|(months|years):([1-9]\d{0,3})", re.ASCII
)
_SITE_FIELDS = ("tooth", "surfaces", "tooth_range", "arch", "quadrant")


class ScenarioError(ValueError):
    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class _Node:
    """A JSON value and where it is, with typed readers that fail with its path."""

    def __init__(self, value: Any, path: str):
        self.value = value
        self.path = path

    def error(self, problem: str) -> ScenarioError:
        return ScenarioError(self.path or "$", problem)

    def fail(self, problem: str) -> NoReturn:
        raise self.error(problem)

    def child(self, key: str | int) -> "_Node":
        if isinstance(key, int):
            return _Node(self.value[key], f"{self.path}[{key}]")
        return _Node(self.value.get(key), f"{self.path}.{key}" if self.path else key)

    def obj(self, allowed: tuple[str, ...]) -> "_Node":
        if not isinstance(self.value, dict):
            self.fail("must be an object")
        for key in self.value:
            if key not in allowed:
                self.child(key).fail("unknown field")
        return self

    def items(self) -> list["_Node"]:
        if not isinstance(self.value, list):
            self.fail("must be a list")
        return [self.child(i) for i in range(len(self.value))]

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def get(
        self,
        key: str,
        read: Callable[["_Node"], Any],
        default=None,
        required=False,
        nullable=False,
    ):
        """A field's value read by `read`; null only where the contract allows it (3.0)."""
        node = self.child(key)
        if key not in self.value or (node.value is None and required):
            if required:
                node.fail("is required")
            return default
        if node.value is None:
            if not nullable:
                node.fail("must not be null (omit the field instead)")
            return default
        return read(node)


def _string(node: _Node) -> str:
    if not isinstance(node.value, str):
        node.fail("must be a string")
    return node.value


def _boolean(node: _Node) -> bool:
    if not isinstance(node.value, bool):
        node.fail("must be true or false")
    return node.value


def _integer(low: int, high: int | None) -> Callable[[_Node], int]:
    def read(node: _Node) -> int:
        if not isinstance(node.value, int) or isinstance(node.value, bool):
            node.fail("must be an integer")
        if high is None and node.value < low:
            node.fail(f"must be at least {low}")
        if high is not None and not low <= node.value <= high:
            node.fail(f"must be between {low} and {high}")
        return node.value

    return read


def _choice(choices: tuple[str, ...]) -> Callable[[_Node], str]:
    def read(node: _Node) -> str:
        value = _string(node)
        if value not in choices:
            node.fail(f"must be one of {', '.join(choices)}")
        return value

    return read


def _money(node: _Node) -> Decimal:
    if not isinstance(node.value, str):
        node.fail('must be money as a string, like "120.00"')
    if not _MONEY.fullmatch(node.value):
        node.fail(f'"{node.value}" is not money (digits with at most two decimals)')
    return Decimal(node.value)


def _date(node: _Node) -> datetime.date:
    value = _string(node)
    if not _DATE.fullmatch(value):
        node.fail(f'"{value}" is not a date (YYYY-MM-DD)')
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        node.fail(f'"{value}" is not a real date')


def _code(node: _Node) -> str:
    value = _string(node)
    if not _CODE.fullmatch(value):
        node.fail(f'"{value}" is not a procedure code (D and four digits)')
    return value


def _ref(node: _Node) -> str:
    value = _string(node)
    if not _REF.fullmatch(value):
        node.fail(f'"{value}" is not a ref (1-64 letters, digits, _ . : -)')
    return value


def _unique(nodes: list[_Node], key: str, what: str = "ref") -> None:
    seen = set()
    for node in nodes:
        value = node.value.get(key)
        if value in seen:
            node.child(key).fail(f'duplicate {what} "{value}"')
        seen.add(value)


def read_scenario(value: Any, path: str = "") -> Scenario:
    root = _Node(value, path).obj(
        (
            "id",
            "description",
            "as_of",
            "mode",
            "patient",
            "categories",
            "settings",
            "office_fees",
            "plans",
            "history",
            "procedures",
        )
    )
    as_of = root.get("as_of", _date, required=True)
    mode = root.get("mode", _choice(MODES), required=True)
    patient = root.get("patient", _patient, required=True)
    categories = root.get("categories", _categories, default=STANDARD_CATEGORIES)
    by_name = {category.name: category for category in categories}
    plans = root.get("plans", lambda n: _plans(n, by_name), required=True)
    plan_refs = {plan.ref for plan in plans}
    lines = root.get("procedures", lambda n: _lines(n, as_of, plan_refs), required=True)
    scenario = Scenario(
        id=root.get("id", _string),
        as_of=as_of,
        mode=mode,
        birth_date=patient[0],
        age=patient[1],
        family=patient[2],
        categories=categories,
        settings=root.get("settings", _settings, default=Settings()),
        office_fees=root.get("office_fees", _schedule, default={}),
        plans=plans,
        lines=lines,
        history=root.get(
            "history",
            lambda n: _history(n, plan_refs, set(patient[2]), {line.ref: line for line in lines}),
            default=(),
        ),
    )
    _check_fees(root, scenario)
    return scenario


def _patient(node: _Node):
    node.obj(("birth_date", "age", "family"))
    birth_date = node.get("birth_date", _date)
    age = node.get("age", _integer(0, 130))
    if (birth_date is None) == (age is None):
        node.fail("give exactly one of birth_date and age")
    family = node.get("family", lambda n: tuple(_ref(item) for item in n.items()), default=())
    if len(set(family)) != len(family):
        node.child("family").fail("duplicate ref")
    return birth_date, age, family


def _categories(node: _Node) -> tuple[Category, ...]:
    items = node.items()
    categories = []
    for item in items:
        item.obj(("name", "order", "spans"))
        name = item.get("name", _string, required=True)
        if not _CATEGORY_NAME.fullmatch(name):
            item.child("name").fail(f'"{name}" is not a category name (a-z, 0-9, _)')
        categories.append(
            Category(
                name=name,
                order=item.get("order", _integer(0, 999), required=True),
                spans=item.get("spans", _spans, required=True),
            )
        )
    _unique(items, "name", "category name")
    _unique(items, "order", "order")
    return tuple(categories)


def _spans(node: _Node) -> tuple[tuple[str, str], ...]:
    spans = []
    for span in node.items():
        pair = span.items()
        if len(pair) != 2:
            span.fail("must be a [from, to] pair of codes")
        first, last = _code(pair[0]), _code(pair[1])
        if first > last:
            span.fail(f"{first} comes after {last}")
        spans.append((first, last))
    return tuple(spans)


def _settings(node: _Node) -> Settings:
    names = tuple(Settings.__dataclass_fields__)
    node.obj(names)
    return Settings(
        **{name: node.get(name, _boolean) for name in names if name in node.value},
    )


def _schedule(node: _Node) -> Schedule:
    if not isinstance(node.value, dict):
        node.fail("must be an object")
    schedule = {}
    for key in node.value:
        _code(_Node(key, node.child(key).path))
        schedule[key] = node.get(key, _money, nullable=True)
    return schedule


def _plans(node: _Node, categories: dict[str, Category]) -> tuple[Plan, ...]:
    items = node.items()
    if len(items) > MAX_PLANS:
        node.fail(f"at most {MAX_PLANS} plans")
    plans = [_plan(item, categories) for item in items]
    _unique(items, "ref")
    _unique(items, "ordinal", "ordinal")
    for expected, plan in enumerate(sorted(plans, key=lambda p: p.ordinal), start=1):
        if plan.ordinal != expected:
            node.fail("ordinals must be 1, 2, ... without gaps")
    return tuple(sorted(plans, key=lambda p: p.ordinal))


_WRITEOFF_OVERRIDES = (
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
)


def _plan(node: _Node, categories: dict[str, Category]) -> Plan:
    node.obj(
        (
            "ref",
            "ordinal",
            "plan_type",
            "cob_rule",
            "renewal_month",
            "effective_date",
            "fee_schedules",
            "downgrades",
            "benefits",
            "missing_tooth_clause",
            "benefits_verified",
            *_WRITEOFF_OVERRIDES,
        )
    )
    plan_type = node.get("plan_type", _choice(PLAN_TYPES), required=True)
    downgrades = node.get("downgrades", _downgrades, default=(True, True, ()))
    verified = node.get("benefits_verified", _verified, default=(None, None))
    return Plan(
        ref=node.get("ref", _ref, required=True),
        ordinal=node.get("ordinal", _integer(1, MAX_PLANS), required=True),
        plan_type=plan_type,
        cob_rule=node.get("cob_rule", _choice(COB_RULES), default="standard"),
        renewal_month=node.get("renewal_month", _integer(1, 12), default=1),
        effective_date=node.get("effective_date", _date),
        schedules=node.get("fee_schedules", lambda n: _fee_schedules(n, plan_type), default={}),
        downgrades_enabled=downgrades[0],
        writeoff_on_downgraded=downgrades[1],
        downgrade_rules=downgrades[2],
        benefits=node.get("benefits", lambda n: _benefits(n, categories), default=Benefits()),
        missing_tooth_clause=node.get("missing_tooth_clause", _boolean, default=False),
        benefits_source=verified[0],
        benefits_verified_on=verified[1],
        **{name: node.get(name, _boolean, nullable=True) for name in _WRITEOFF_OVERRIDES},
    )


def _fee_schedules(node: _Node, plan_type: str) -> dict[str, Schedule]:
    node.obj(("allowed", "plan_fees", "copay", "fixed_benefit"))
    schedules = {}
    for name in node.value:
        if name not in SCHEDULES_BY_TYPE[plan_type]:
            node.child(name).fail(f"a {plan_type} plan has no {name} schedule")
        schedule = node.get(name, _schedule)
        if schedule is not None:
            schedules[name] = schedule
    return schedules


def _downgrades(node: _Node):
    node.obj(("enabled", "writeoff_on_downgraded", "rules"))
    rules = []
    for item in node.get("rules", lambda n: n.items(), default=[]):
        item.obj(("code", "to", "when"))
        rules.append(
            DowngradeRule(
                code=item.get("code", _code, required=True),
                to=item.get("to", _code, required=True),
                when=item.get("when", _choice(DOWNGRADE_WHEN), default="always"),
            )
        )
    return (
        node.get("enabled", _boolean, default=True),
        node.get("writeoff_on_downgraded", _boolean, default=True),
        tuple(rules),
    )


def _verified(node: _Node):
    node.obj(("source", "on"))
    source = node.get("source", _choice(BENEFIT_SOURCES), required=True)
    return source, node.get("on", _date, nullable=True)


def _scope(categories: dict[str, Category]) -> Callable[[_Node], Scope]:
    def read(node: _Node) -> Scope:
        text = _string(node)
        kind, _, rest = text.partition(":")
        if text == "general":
            return Scope("general")
        if kind == "category" and rest:
            if rest not in categories:
                node.fail(f'unknown category "{rest}"')
            return Scope("category", category=categories[rest])
        if kind in ("code", "code_group") and rest:
            codes = [code.strip() for code in rest.split(",")]
            if not all(_CODE.fullmatch(code) for code in codes) or (
                kind == "code" and len(codes) != 1
            ):
                node.fail(f'"{text}" is not a valid {kind} scope')
            return Scope(kind, codes=frozenset(codes))
        raise node.error(f'"{text}" is not a scope (general, category:NAME, code:…, code_group:…)')

    return read


def _benefits(node: _Node, categories: dict[str, Category]) -> Benefits:
    node.obj(
        (
            "coverage",
            "deductibles",
            "maximums",
            "frequencies",
            "age_limits",
            "waiting_periods",
            "exclusions",
        )
    )
    scope = _scope(categories)

    def rows(name: str, fields: tuple[str, ...], make: Callable[[_Node, Scope], Row]):
        def read(list_node: _Node) -> tuple[Row, ...]:
            result = []
            for item in list_node.items():
                item.obj(("scope", *fields))
                result.append(make(item, item.get("scope", scope, required=True)))
            return tuple(result)

        return node.get(name, read, default=())

    def amount_row(item: _Node, row_scope: Scope) -> Row:
        return Row(
            scope=row_scope,
            amount=item.get("amount", _money, required=True),
            family=item.get("level", _choice(("individual", "family")), "individual") == "family",
            lifetime=item.get("period", _choice(("benefit_year", "lifetime")), "benefit_year")
            == "lifetime",
        )

    def frequency_row(item: _Node, row_scope: Scope) -> Row:
        if row_scope.kind not in ("code", "code_group"):
            item.child("scope").fail("a frequency limit's scope must be a code or code group")
        per = item.get("per", _string, required=True)
        match = _PER.fullmatch(per)
        if not match:
            item.child("per").fail(
                f'"{per}" is not a period (calendar_year, benefit_year, last_12_months, '
                "months:N, years:N)"
            )
        return Row(
            scope=row_scope,
            count=item.get("count", _integer(1, 999), default=1),
            per=match.group(1) or match.group(2),
            per_n=int(match.group(3) or 0),
            area=item.get("area", _choice(("mouth", "tooth", "arch", "tooth_range"))),
        )

    def exclusion_row(item: _Node, row_scope: Scope) -> Row:
        if row_scope.kind == "general":
            item.child("scope").fail("an exclusion cannot have scope general")
        return Row(scope=row_scope)

    return Benefits(
        coverage=rows(
            "coverage",
            ("percent",),
            lambda i, s: Row(scope=s, percent=i.get("percent", _integer(0, 100), required=True)),
        ),
        deductibles=rows("deductibles", ("amount", "level", "period"), amount_row),
        maximums=rows("maximums", ("amount", "level", "period"), amount_row),
        frequencies=rows("frequencies", ("count", "per", "area"), frequency_row),
        age_limits=rows(
            "age_limits",
            ("max_age",),
            lambda i, s: Row(scope=s, max_age=i.get("max_age", _integer(0, 130), required=True)),
        ),
        waiting_periods=rows(
            "waiting_periods",
            ("months",),
            lambda i, s: Row(scope=s, months=i.get("months", _integer(0, 1200), required=True)),
        ),
        exclusions=rows("exclusions", (), exclusion_row),
    )


def _site(node: _Node) -> Site:
    placed = [name for name in ("tooth", "tooth_range", "arch", "quadrant") if node.has(name)]
    if len(placed) > 1:
        node.fail(f"give at most one of tooth, tooth_range, arch, quadrant (got {placed})")
    if node.has("surfaces") and not node.has("tooth"):
        node.child("surfaces").fail("surfaces need a tooth")
    return Site(
        tooth=node.get("tooth", _tooth),
        surfaces=node.get("surfaces", _surfaces, default=frozenset()),
        tooth_range=node.get("tooth_range", _tooth_range, default=()),
        arch=node.get("arch", _choice(ARCHES)),
        quadrant=node.get("quadrant", _choice(QUADRANTS)),
    )


def _tooth(node: _Node) -> str:
    value = _string(node)
    if value not in PERMANENT and value not in PRIMARY:
        node.fail(f'"{value}" is not a tooth (1-32 or A-T)')
    return value


def _surfaces(node: _Node) -> frozenset[str]:
    value = _string(node)
    if not value or not set(value) <= set("MODBLIF") or len(set(value)) != len(value):
        node.fail(f'"{value}" is not a set of surfaces (M O D B L I F, each at most once)')
    return frozenset(value)


def _tooth_range(node: _Node) -> tuple[str, ...]:
    value = _string(node)
    teeth = parse_tooth_range(value)
    if not teeth:
        node.fail(f'"{value}" is not a tooth range (like "7-10" or "1,2,3")')
    return teeth


def _lines(node: _Node, as_of: datetime.date, plan_refs: set[str]) -> tuple[Line, ...]:
    items = node.items()
    lines = []
    for item in items:
        item.obj(("ref", "code", "fee", "units", "priority", "date", "overrides", *_SITE_FIELDS))
        lines.append(
            Line(
                ref=item.get("ref", _ref, required=True),
                code=item.get("code", _code, required=True),
                fee=item.get("fee", _money),
                units=item.get("units", _integer(1, 99), default=1),
                site=_site(item),
                priority=item.get("priority", _integer(1, None)),
                date=item.get("date", _date, default=as_of),
                overrides=item.get("overrides", lambda n: _overrides(n, plan_refs), default={}),
            )
        )
    _unique(items, "ref")
    return tuple(lines)


def _overrides(node: _Node, plan_refs: set[str]) -> dict[str, Override]:
    if not isinstance(node.value, dict):
        node.fail("must be an object")
    overrides = {}
    for ref, _value in node.value.items():
        item = node.child(ref)
        if ref not in plan_refs:
            item.fail(f'unknown plan "{ref}"')
        item.obj(("ins_estimate", "percentage"))
        overrides[ref] = Override(
            ins_estimate=item.get("ins_estimate", _money, nullable=True),
            percentage=item.get("percentage", _integer(0, 100), nullable=True),
        )
    return overrides


_HISTORY_FIELDS = {
    "paid": ("amount", "deductible", "writeoff", "code", "service", "procedure", *_SITE_FIELDS),
    "pending": ("amount", "deductible", "writeoff", "code", "service", "procedure", *_SITE_FIELDS),
    "benefits_used": ("amount", "deductible", "service"),
    "done_elsewhere": ("code", "service", *_SITE_FIELDS),
}


def _history(node: _Node, plan_refs, family: set[str], lines: dict[str, Line]):
    entries = []
    for item in node.items():
        item.obj(("plan", "kind", "member", "date", *_HISTORY_FIELDS["paid"]))
        kind = item.get("kind", _choice(HISTORY_KINDS), required=True)
        for key in item.value:
            if key not in ("plan", "kind", "member", "date", *_HISTORY_FIELDS[kind]):
                item.child(key).fail(f"not used on a {kind} entry")
        plan = item.get("plan", _ref, required=True)
        if plan not in plan_refs:
            item.child("plan").fail(f'unknown plan "{plan}"')
        member = item.get("member", _ref)
        if member is not None and member not in family:
            item.child("member").fail(f'unknown family member "{member}"')
        line = None
        ref = item.get("procedure", _ref)
        if ref is not None:
            line = lines.get(ref)
            if line is None:
                item.child("procedure").fail(f'unknown procedure "{ref}"')
            if member is not None:
                item.child("member").fail("a claimed line belongs to this patient")
        code = item.get("code", _code, default=line.code if line else None)
        if code is None and kind != "benefits_used":
            item.child("code").fail("is required")
        day = item.get("date", _date, default=line.date if line else None)
        if day is None:
            item.child("date").fail("is required")
        site = _site(item)
        if line is not None and site.is_unplaced:
            site = line.site
        entries.append(
            HistoryEntry(
                plan=plan,
                kind=kind,
                member=member,
                code=code,
                date=day,
                amount=item.get("amount", _money, default=Decimal(0)),
                deductible=item.get("deductible", _money, default=Decimal(0)),
                writeoff=item.get("writeoff", _money),
                site=site,
                service=item.get("service", _string),
                procedure=line.ref if line else None,
            )
        )
    return tuple(entries)


def _check_fees(root: _Node, scenario: Scenario) -> None:
    for index, line in enumerate(scenario.lines):
        if line.fee is None and scenario.office_fees.get(line.code) is None:
            root.child("procedures").child(index).child("fee").fail(
                f"no fee given and no office fee for {line.code}"
            )
