"""Properties of the estimate engine over generated scenarios (hypothesis).

The generator builds valid scenarios the way the contract describes them (estimate.md,
section 3): one to three plans of every type and COB rule, coverage / deductible / maximum /
frequency / age / waiting-period / exclusion rows, history of every kind, one to eight lines
with fees, units, teeth, priorities and dates spread over two benefit years. Every property
reads the contract's JSON output (`result_json`), so it checks what the command prints.

Where the rules document itself allows a property to fail, the generator is restricted for
that property and the comment says which rule breaks it; the property is not weakened
silently.
"""

import copy
import datetime
import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insurance.engine import estimate, read_scenario, result_json

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

PLAN_TYPES = ("percentage", "ppo", "ppo_fixed_benefit", "flat_copay", "capitation")
COB_RULES = ("standard", "basic", "carve_out", "secondary_medicaid")
SCHEDULES = {  # contract 3.6: the schedules each plan type may carry
    "percentage": ("allowed", "plan_fees", "copay"),
    "ppo": ("allowed", "copay"),
    "ppo_fixed_benefit": ("allowed", "fixed_benefit"),
    "flat_copay": ("allowed", "copay"),
    "capitation": ("plan_fees", "copay"),
}
# The standard category table (contract 3.4).
CATEGORIES = {
    "general": (("D0000", "D7999"), ("D9000", "D9999")),
    "diagnostic": (("D0000", "D0999"),),
    "diagnostic_xray": (("D0200", "D0399"),),
    "preventive": (("D1000", "D1999"),),
    "restorative": (("D2000", "D2999"),),
    "endodontics": (("D3000", "D3999"),),
    "periodontics": (("D4000", "D4999"),),
    "oral_surgery": (("D7000", "D7999"),),
    "crowns": (("D2700", "D2799"),),
    "prosthodontics": (("D5000", "D5899"), ("D6200", "D6999")),
    "maxillofacial_prosthetics": (("D5900", "D5999"),),
    "implants": (("D6000", "D6199"),),
    "orthodontics": (("D8000", "D8999"),),
    "adjunctive": (("D9000", "D9999"),),
}
CODES = (
    "D0120",
    "D0150",
    "D0274",
    "D1110",
    "D1351",
    "D2150",
    "D2391",
    "D2392",
    "D2740",
    "D2750",
    "D3330",
    "D4341",
    "D5110",
    "D6010",
    "D7140",
    "D8080",
    "D9110",
)
FAMILY = ("kid",)
ZERO = Decimal("0.00")


# --- Strategies ---------------------------------------------------------------------------
#
# Hypothesis pays for every draw, so each field is one draw where possible: scopes, rows and
# sites come from precomputed lists, and one integer gives a money string in any of the
# contract's forms ("1200", "1200.00", "87.5", "87.99").


def _money_text(cents: int) -> str:
    dollars, rest = divmod(cents, 100)
    if rest == 0:
        return str(dollars) if dollars % 2 else f"{dollars}.00"
    if rest % 10 == 0:
        return f"{dollars}.{rest // 10}"
    return f"{dollars}.{rest:02d}"


def money(high_dollars: int):
    return st.integers(0, high_dollars * 100).map(_money_text)


def blank_or_money(high_dollars: int):
    """None (blank, or omitted) about one time in six, else money."""
    return st.integers(-high_dollars * 20, high_dollars * 100).map(
        lambda cents: None if cents < 0 else _money_text(cents)
    )


# Lines and history mostly use a few common codes, so that frequency limits, downgrades and
# shared maximums meet earlier services often enough to matter.
COMMON_CODES = ("D0120", "D0150", "D1110", "D2392", "D2740")
LIKELY_CODES = (*CODES, *COMMON_CODES * 4)
CODE_SCOPES = (
    *(f"code:{code}" for code in CODES),
    "code_group:D0120,D0150",
    "code_group:D0120,D0150",
    "code_group:D1110,D4341",
    "code_group:D2391,D2392",
    "code_group:D2740,D2750,D6010",
    "code:D1110",
    "code:D2740",
)
NARROW_SCOPES = (*(f"category:{name}" for name in CATEGORIES), *CODE_SCOPES)
SCOPES = ("general", "general", *NARROW_SCOPES)
PERCENTS = (0, 50, 80, 100, 100, 35, 90)
LEVEL_PERIOD = (
    {},
    {},
    {"level": "individual"},
    {"period": "benefit_year"},
    {"period": "lifetime"},
    {"level": "family"},
    {"level": "family", "period": "lifetime"},
)
PERIODS = ("calendar_year", "benefit_year", "last_12_months", "months:6", "years:5")
AREAS = (None, "mouth", "mouth", "mouth", "tooth", "arch", "tooth_range")


def _row(scope, **fields) -> dict:
    return {"scope": scope, **{key: value for key, value in fields.items() if value is not None}}


COVERAGE_ROW = st.tuples(st.sampled_from(SCOPES), st.sampled_from(PERCENTS)).map(
    lambda t: _row(t[0], percent=t[1])
)
DEDUCTIBLE_ROW = st.tuples(st.sampled_from(SCOPES), money(100), st.sampled_from(LEVEL_PERIOD)).map(
    lambda t: _row(t[0], amount=t[1], **t[2])
)
# Other maximums never use the plan-wide individual benefit-year scope, so a plan has at most
# one annual maximum (the one the maximum properties check).
OTHER_MAXIMUM_ROW = st.one_of(
    st.tuples(st.sampled_from(NARROW_SCOPES), money(3000), st.sampled_from((None, "lifetime"))).map(
        lambda t: _row(t[0], amount=t[1], period=t[2])
    ),
    st.tuples(st.sampled_from(SCOPES), money(4000), st.sampled_from((None, "lifetime"))).map(
        lambda t: _row(t[0], amount=t[1], level="family", period=t[2])
    ),
)
FREQUENCY_SCOPES = (
    *(f"code:{code}" for code in COMMON_CODES),
    "code_group:D0120,D0150",
    "code_group:D2392,D2740",
    "code:D4341",
    "code_group:D5110,D6010",
)
FREQUENCY_ROW = st.tuples(
    st.sampled_from(FREQUENCY_SCOPES),
    st.sampled_from((None, None, 1, 2)),
    st.sampled_from(PERIODS),
    st.sampled_from(AREAS),
).map(lambda t: _row(t[0], count=t[1], per=t[2], area=t[3]))
AGE_LIMIT_ROW = st.tuples(st.sampled_from(SCOPES), st.integers(0, 90)).map(
    lambda t: _row(t[0], max_age=t[1])
)
WAITING_ROW = st.tuples(st.sampled_from(SCOPES), st.integers(0, 24)).map(
    lambda t: _row(t[0], months=t[1])
)
EXCLUSION_ROW = st.sampled_from(NARROW_SCOPES).map(_row)
DOWNGRADE_RULES = tuple(
    {"code": code, "to": to, "when": when}
    for code, to in (("D2392", "D2150"), ("D2392", "D2391"), ("D2750", "D2740"), ("D6010", "D2750"))
    for when in ("always", "posterior", "molar", "second_molar", "never")
)
SETTING_OVERRIDES = tuple(
    itertools.product((None, None, True, False), repeat=3)
)  # zero_writeoff_when_max_reached, ..._on_frequency_or_age_limit, office_fee_for_exclusions
SETTING_NAMES = (
    "secondary_ppo_writeoffs",
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
    "blank_fixed_benefit_is_zero",
    "blank_copay_is_zero",
    "blank_allowed_is_zero",
)
SITES = (
    *({} for _ in range(8)),
    *({"tooth": tooth} for tooth in ("3", "8", "14", "19", "30", "31", "A", "K", "T")),
    *(
        {"tooth": tooth, "surfaces": surfaces}
        for tooth in ("3", "19", "30")
        for surfaces in ("O", "MO", "DOM")
    ),
    {"tooth_range": "7-10"},
    {"tooth_range": "1-3,5"},
    {"tooth_range": "28-30"},
    {"arch": "U"},
    {"arch": "L"},
    {"quadrant": "UR"},
    {"quadrant": "LL"},
)
# A fixed office fee for every code, so a line may leave its fee out (contract 3.9).
OFFICE_FEES = {code: f"{80 + 97 * n}.00" for n, code in enumerate(CODES)}


# Every strategy is built once, here: building one inside a composite costs more than
# drawing from it.
COVERAGE_ROWS = st.lists(COVERAGE_ROW, max_size=3)
DEDUCTIBLE_ROWS = st.lists(DEDUCTIBLE_ROW, max_size=2)
OTHER_MAXIMUM_ROWS = st.lists(OTHER_MAXIMUM_ROW, max_size=1)
FREQUENCY_ROWS = st.lists(FREQUENCY_ROW, max_size=2)
AGE_LIMIT_ROWS = st.lists(AGE_LIMIT_ROW, max_size=1)
WAITING_ROWS = st.lists(WAITING_ROW, max_size=1)
EXCLUSION_ROWS = st.lists(EXCLUSION_ROW, max_size=1)
ANNUAL_MAXIMUM = blank_or_money(2500)
SCHEDULE = st.lists(st.tuples(st.sampled_from(CODES), blank_or_money(1500)), max_size=4).map(dict)
PLAN_TYPE = st.sampled_from(PLAN_TYPES)
COB_RULE = st.sampled_from(COB_RULES)
RENEWAL_MONTH = st.sampled_from((1, 1, 1, 4, 7, 10, 12))
EFFECTIVE_DAYS = st.integers(-800, 100)  # below -500: no effective date
SCHEDULE_PRESENT = st.integers(0, 3)  # 0: the schedule is left out
DOWNGRADES = st.lists(st.sampled_from(DOWNGRADE_RULES), max_size=2)
PLAN_SETTING_OVERRIDES = st.sampled_from(SETTING_OVERRIDES)
BOOLEAN = st.booleans()
HISTORY_KIND = st.sampled_from(("paid", "paid", "pending", "benefits_used", "done_elsewhere"))
PLAN_INDEX = st.integers(0, 3)
HISTORY_DAYS = st.integers(-500, 0)
ONE_IN_FIVE = st.integers(0, 4)
ONE_IN_SIX = st.integers(0, 5)
CODE = st.sampled_from(LIKELY_CODES)
GENERAL_PERCENT = st.sampled_from((None, *PERCENTS, 80, 100))  # None: no plan-wide row
GENERAL_DEDUCTIBLE = st.sampled_from((None, None, "25.00", "50.00", "100"))
SITE = st.sampled_from(SITES)
HISTORY_AMOUNT = money(900)
HISTORY_DEDUCTIBLE = st.sampled_from(("0.00", "0.00", "25.00", "50.00"))
HISTORY_WRITEOFF = blank_or_money(300)
SERVICE = st.sampled_from((None, None, None, "s1", "s2"))
LINE_FEE = blank_or_money(2000)
UNITS = st.sampled_from((None, None, None, None, 1, 2, 3))
PRIORITY = st.sampled_from((None, None, 1, 2, 3))
LINE_DAYS = st.integers(-350, 700)  # below 0: no date (the line is dated as_of)
OVERRIDE_PERCENT = st.sampled_from((None, *PERCENTS))
OVERRIDE_ESTIMATE = blank_or_money(1000)
AS_OF_DAYS = st.integers(0, 1100)
AGE_OR_BIRTH = st.integers(-90, 90)  # below 0: a birth date that many years before as_of
MODE = st.sampled_from(("treatment_plan", "in_order", "single_procedure"))
SETTINGS = st.lists(st.tuples(st.sampled_from(SETTING_NAMES), BOOLEAN), max_size=3).map(dict)


@st.composite
def benefits(draw) -> dict:
    annual = draw(ANNUAL_MAXIMUM)
    percent = draw(GENERAL_PERCENT)
    deductible = draw(GENERAL_DEDUCTIBLE)
    return {
        "coverage": draw(COVERAGE_ROWS)
        + ([] if percent is None else [{"scope": "general", "percent": percent}]),
        "deductibles": draw(DEDUCTIBLE_ROWS)
        + ([] if deductible is None else [{"scope": "general", "amount": deductible}]),
        "maximums": ([{"scope": "general", "amount": annual}] if annual else [])
        + draw(OTHER_MAXIMUM_ROWS),
        "frequencies": draw(FREQUENCY_ROWS),
        "age_limits": draw(AGE_LIMIT_ROWS),
        "waiting_periods": draw(WAITING_ROWS),
        "exclusions": draw(EXCLUSION_ROWS),
    }


BENEFITS = benefits()


@st.composite
def plan_body(draw) -> dict:
    """A plan without ref and ordinal; `effective_date` is days relative to as_of."""
    plan_type = draw(PLAN_TYPE)
    doc = {
        "plan_type": plan_type,
        "cob_rule": draw(COB_RULE),
        "renewal_month": draw(RENEWAL_MONTH),
    }
    effective = draw(EFFECTIVE_DAYS)
    if effective >= -500:
        doc["effective_date"] = effective
    doc["fee_schedules"] = {
        name: draw(SCHEDULE) for name in SCHEDULES[plan_type] if draw(SCHEDULE_PRESENT)
    }
    downgrades = draw(DOWNGRADES)
    if downgrades:
        doc["downgrades"] = {"rules": downgrades}
    doc["benefits"] = draw(BENEFITS)
    overrides = draw(PLAN_SETTING_OVERRIDES)
    doc["zero_writeoff_when_max_reached"] = overrides[0]
    doc["zero_writeoff_on_frequency_or_age_limit"] = overrides[1]
    doc["office_fee_for_exclusions"] = overrides[2]
    doc["missing_tooth_clause"] = draw(BOOLEAN)
    return doc


PLAN_BODY = plan_body()


def finish_plan(body: dict, as_of: datetime.date, ordinal: int, frequencies: bool = True):
    doc = {"ref": f"plan{ordinal}", "ordinal": ordinal, **copy.deepcopy(body)}
    if "effective_date" in doc:
        doc["effective_date"] = shifted(as_of, doc["effective_date"])
    if not frequencies:
        del doc["benefits"]["frequencies"]
    return doc


def bound_cob(plans: list[dict]) -> None:
    """Keep only the combinations of plans for which the rules hold insurance plus write-offs
    within the fee (see test_patient_portion_is_never_negative): capitation only as primary;
    basic, carve-out and Secondary Medicaid (which pays like basic at ordinal 2) only at
    ordinal 2, and not behind a capitation primary."""
    primary_is_capitation = plans[0]["plan_type"] == "capitation"
    for doc in plans[1:]:
        if doc["plan_type"] == "capitation":  # same schedules allowed on a percentage plan
            doc["plan_type"] = "percentage"
        bounded = doc["ordinal"] == 2 and not primary_is_capitation
        if not bounded and doc["cob_rule"] != "standard":
            at_three = doc["ordinal"] >= 3 and doc["cob_rule"] == "secondary_medicaid"
            doc["cob_rule"] = "secondary_medicaid" if at_three else "standard"


@st.composite
def history_body(draw) -> dict:
    """A history entry; `plan` is an index into the plans, `date` days relative to as_of."""
    kind = draw(HISTORY_KIND)
    entry = {"plan": draw(PLAN_INDEX), "kind": kind, "date": draw(HISTORY_DAYS)}
    if draw(ONE_IN_FIVE) == 0:
        entry["member"] = FAMILY[0]
    if kind != "benefits_used":
        entry["code"] = draw(CODE)
        entry["repeat"] = draw(BOOLEAN)  # repeat: the code of one of the lines
        entry.update(draw(SITE))
    if kind != "done_elsewhere":
        entry["amount"] = draw(HISTORY_AMOUNT)
        entry["deductible"] = draw(HISTORY_DEDUCTIBLE)
    if kind in ("paid", "pending"):
        writeoff = draw(HISTORY_WRITEOFF)
        if writeoff:
            entry["writeoff"] = writeoff
    service = draw(SERVICE)
    if service:
        entry["service"] = service
    return entry


@st.composite
def line_body(draw) -> dict:
    """A line; `date` is days after as_of, an override's plan an index into the plans."""
    doc = {"code": draw(CODE), "repeat": draw(BOOLEAN)}  # repeat: the previous line's code
    fee = draw(LINE_FEE)
    if fee is not None:
        doc["fee"] = fee
    units = draw(UNITS)
    if units:
        doc["units"] = units
    doc.update(draw(SITE))
    priority = draw(PRIORITY)
    if priority:
        doc["priority"] = priority
    date = draw(LINE_DAYS)
    if date >= 0:
        doc["date"] = date
    if draw(ONE_IN_SIX) == 0:
        doc["overrides"] = {
            draw(PLAN_INDEX): {
                "percentage": draw(OVERRIDE_PERCENT),
                "ins_estimate": draw(OVERRIDE_ESTIMATE),
            }
        }
    return doc


HISTORY = st.lists(history_body(), max_size=4)
LINES = st.lists(line_body(), min_size=1, max_size=8)


def shifted(as_of: datetime.date, days: int) -> str:
    return (as_of + datetime.timedelta(days=days)).isoformat()


@st.composite
def scenarios(draw, overrides=False, frequencies=True, bounded_cob=False, max_plans=3) -> dict:
    """A valid scenario.

    overrides: lines may carry `ins_estimate` overrides (percentage overrides always may);
    frequencies: plans may have frequency limits; bounded_cob: see `bound_cob`.
    """
    as_of = datetime.date(2024, 1, 1) + datetime.timedelta(days=draw(AS_OF_DAYS))
    count = draw(st.integers(1, max_plans))
    plans = [
        finish_plan(draw(PLAN_BODY), as_of, ordinal, frequencies) for ordinal in range(1, count + 1)
    ]
    if bounded_cob:
        bound_cob(plans)
    age = draw(AGE_OR_BIRTH)
    patient = {"age": age} if age >= 0 else {"birth_date": shifted(as_of, age * 370)}
    patient["family"] = list(FAMILY)
    lines = []
    for index, doc in enumerate(draw(LINES)):
        if doc.pop("repeat") and lines:
            doc["code"] = lines[-1]["code"]
        doc = {"ref": f"line{index}", **doc}
        if "date" in doc:
            doc["date"] = shifted(as_of, doc["date"])
        if "overrides" in doc:
            ((which, override),) = doc["overrides"].items()
            if not overrides:
                override.pop("ins_estimate")
            doc["overrides"] = {plans[which % count]["ref"]: override}
        lines.append(doc)
    history = []
    for index, entry in enumerate(draw(HISTORY)):
        if entry.pop("repeat", False):
            entry["code"] = lines[index % len(lines)]["code"]
        entry["plan"] = plans[entry["plan"] % count]["ref"]
        entry["date"] = shifted(as_of, entry["date"])
        history.append(entry)
    return {
        "as_of": as_of.isoformat(),
        "mode": draw(MODE),
        "patient": patient,
        "settings": draw(SETTINGS),
        "office_fees": dict(OFFICE_FEES),
        "plans": plans,
        "history": history,
        "procedures": lines,
    }


# --- Helpers ------------------------------------------------------------------------------


def run(document: dict) -> dict:
    return result_json(estimate(read_scenario(document)))


def money_of(text: str | None) -> Decimal:
    return ZERO if text is None else Decimal(text)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def line_date(document: dict, ref: str) -> datetime.date:
    doc = next(line for line in document["procedures"] if line["ref"] == ref)
    return day(doc.get("date", document["as_of"]))


def line_code(document: dict, ref: str) -> str:
    return next(line["code"] for line in document["procedures"] if line["ref"] == ref)


def benefit_year(date: datetime.date, renewal_month: int) -> datetime.date:
    year = date.year if date.month >= renewal_month else date.year - 1
    return datetime.date(year, renewal_month, 1)


def one_year_later(date: datetime.date) -> datetime.date:
    try:
        return date.replace(year=date.year + 1)
    except ValueError:  # 29 February
        return date.replace(year=date.year + 1, day=28)


def covers(scope: str, code: str) -> bool:
    kind, _, rest = scope.partition(":")
    if kind == "general":
        return True
    if kind == "category":
        return any(first <= code <= last for first, last in CATEGORIES[rest])
    return code in rest.split(",")


def annual_maximum(plan_doc: dict) -> Decimal | None:
    """The plan-wide individual benefit-year maximum, if the plan has one."""
    for row in plan_doc["benefits"]["maximums"]:
        if (
            row["scope"] == "general"
            and row.get("level", "individual") == "individual"
            and row.get("period", "benefit_year") == "benefit_year"
        ):
            return Decimal(row["amount"])
    return None


def governed_by_annual_maximum(plan_doc: dict, code: str) -> bool:
    """Rules section 16: the plan-wide maximum applies to codes inside the General category
    that have no more specific individual maximum of their own."""
    if not covers("category:general", code):
        return False
    return not any(
        row["scope"] != "general" and covers(row["scope"], code)
        for row in plan_doc["benefits"]["maximums"]
        if row.get("level", "individual") == "individual"
    )


def history_toward_annual_maximum(document: dict, plan_doc: dict, year: datetime.date):
    renewal = plan_doc.get("renewal_month", 1)
    return sum(
        (
            Decimal(entry.get("amount", "0"))
            for entry in document.get("history", [])
            if entry["plan"] == plan_doc["ref"]
            and entry["kind"] != "done_elsewhere"
            and "member" not in entry
            and benefit_year(day(entry["date"]), renewal) == year
            and ("code" not in entry or governed_by_annual_maximum(plan_doc, entry["code"]))
        ),
        start=ZERO,
    )


def estimates_toward_annual_maximum(document, result, plan_doc, year) -> list[Decimal]:
    renewal = plan_doc.get("renewal_month", 1)
    return [
        Decimal(row["ins_estimate"])
        for row in result["estimates"]
        if row["plan"] == plan_doc["ref"]
        and benefit_year(line_date(document, row["procedure"]), renewal) == year
        and governed_by_annual_maximum(plan_doc, line_code(document, row["procedure"]))
    ]


def remaining_annual_maximum(document, result, plan_doc, year) -> Decimal:
    """Maximum − history − estimates of the lines dated in that benefit year."""
    return (
        annual_maximum(plan_doc)
        - history_toward_annual_maximum(document, plan_doc, year)
        - sum(estimates_toward_annual_maximum(document, result, plan_doc, year), start=ZERO)
    )


def has_estimate_overrides(document: dict) -> bool:
    return any(
        (override or {}).get("ins_estimate") is not None
        for line in document["procedures"]
        for override in line.get("overrides", {}).values()
    )


# --- Properties ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios(overrides=True))
def test_every_line_adds_up_to_its_fee(document):
    """Contract 4.2: insurance + write-off + patient portion = fee, for every line, and the
    line totals are the sums of its per-plan rows."""
    result = run(document)
    assert sorted(line["procedure"] for line in result["procedures"]) == sorted(
        line["ref"] for line in document["procedures"]
    )
    for line in result["procedures"]:
        rows = [row for row in result["estimates"] if row["procedure"] == line["procedure"]]
        assert len(rows) == len(document["plans"])
        ins = sum((Decimal(row["ins_estimate"]) for row in rows), start=ZERO)
        writeoff = sum((money_of(row["writeoff"]) for row in rows), start=ZERO)
        assert Decimal(line["ins_total"]) == ins
        assert Decimal(line["writeoff_total"]) == writeoff
        assert ins + writeoff + Decimal(line["patient_portion"]) == Decimal(line["fee"])


@PROPERTY_SETTINGS
@given(scenarios(overrides=True))
def test_no_amount_is_ever_negative(document):
    """Fees, estimates, base estimates, deductibles, allowed amounts, copays and write-offs
    are never negative (rules 13: a negative COB cap counts as zero; 17: write-offs never
    below 0)."""
    result = run(document)
    for line in result["procedures"]:
        assert Decimal(line["fee"]) >= 0
    for row in result["estimates"]:
        for name in ("allowed", "copay", "deductible", "base_estimate", "ins_estimate", "writeoff"):
            assert money_of(row[name]) >= 0, (name, row)


@PROPERTY_SETTINGS
@given(scenarios(bounded_cob=True))
def test_patient_portion_is_never_negative(document):
    """Without estimate overrides, the patient never gets money back on a line.

    The rules only keep insurance + write-offs within the fee through the Standard COB cap
    (fee − paid − written off), each PPO write-off's room and final cut (17.2) and the trim
    of the *primary PPO's* write-off (17.4). So the generator is restricted where the rules
    themselves allow the total to pass the fee:
    - Basic, carve-out and Secondary Medicaid at ordinal 2 ignore earlier write-offs (13),
      and only a PPO primary's write-off is trimmed afterwards (17.4). So those rules appear
      only at ordinal 2 (where the only earlier write-off is the primary's) and not behind a
      capitation primary (whose write-off is never trimmed); at ordinal 3 a Basic plan can
      pay after Secondary Medicaid wrote everything off (the fixed example below);
    - a capitation plan writes off fee − copay whatever the earlier plans paid (9), so
      capitation appears only as the primary.
    """
    assert not has_estimate_overrides(document)
    result = run(document)
    for line in result["procedures"]:
        assert Decimal(line["patient_portion"]) >= 0, line


@PROPERTY_SETTINGS
@given(scenarios())
def test_the_annual_maximum_is_never_exceeded(document):
    """Rules 4 and 16: within a benefit year, a plan's estimates on codes governed by its
    plan-wide maximum never exceed that maximum minus the history counted toward it.

    In single_procedure mode the lines do not see each other (contract 3.2), so there each
    line alone stays within what the history left."""
    result = run(document)
    for plan_doc in document["plans"]:
        maximum = annual_maximum(plan_doc)
        if maximum is None:
            continue
        renewal = plan_doc.get("renewal_month", 1)
        refs = [line["ref"] for line in document["procedures"]]
        years = {benefit_year(line_date(document, ref), renewal) for ref in refs}
        for year in years:
            left = max(maximum - history_toward_annual_maximum(document, plan_doc, year), ZERO)
            amounts = estimates_toward_annual_maximum(document, result, plan_doc, year)
            if document["mode"] == "single_procedure":
                assert all(amount <= left for amount in amounts), (plan_doc["ref"], year)
            else:
                assert sum(amounts, start=ZERO) <= left, (plan_doc["ref"], year)


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_adding_a_secondary_plan_never_raises_a_patient_portion(document, data):
    """Appending a plan leaves the earlier plans' figures alone (they pay in ordinal order,
    and usage is per plan: rules 3, 24.18); the new plan adds an estimate and a write-off
    that are never negative, and the primary's write-off trim (17.4) only removes what
    would otherwise take the line below zero."""
    ordinal = len(document["plans"]) + 1
    extra = finish_plan(data.draw(PLAN_BODY), day(document["as_of"]), ordinal)
    before = run(document)
    larger = copy.deepcopy(document)
    larger["plans"].append(extra)
    after = run(larger)
    portion = {line["procedure"]: Decimal(line["patient_portion"]) for line in before["procedures"]}
    for line in after["procedures"]:
        assert Decimal(line["patient_portion"]) <= portion[line["procedure"]], line


@PROPERTY_SETTINGS
@given(scenarios(frequencies=False), st.data())
def test_moving_a_line_to_the_next_year_never_lowers_the_old_years_remaining_maximum(
    document, data
):
    """Moving a line a year later takes its share of the old benefit year's maximum and
    deductible away; what the other lines of that year then use can only fill the maximum
    up to where it was (rules 4, 10, 16).

    Restricted by the rules:
    - no frequency limits: a line moved out of a frequency window can let another line of
      the old year be paid for the first time (rule 18), legitimately using more of it;
    - only the primary plan is checked: a later plan coordinates with what the earlier
      plans pay (rule 13), and moving the line shifts the primary's deductible onto another
      line, so a secondary legitimately pays more on it.
    """
    primary = document["plans"][0]
    if annual_maximum(primary) is None:
        return
    index = data.draw(st.integers(0, len(document["procedures"]) - 1))
    moved_ref = document["procedures"][index]["ref"]
    old_date = line_date(document, moved_ref)
    year = benefit_year(old_date, primary.get("renewal_month", 1))
    before = remaining_annual_maximum(document, run(document), primary, year)
    moved = copy.deepcopy(document)
    moved["procedures"][index]["date"] = one_year_later(old_date).isoformat()
    after = remaining_annual_maximum(moved, run(moved), primary, year)
    assert after >= before


# --- Where the rules themselves break a property --------------------------------------------
#
# Fixed examples for each restriction of the generators above: the rules document gives
# these numbers, so the restriction is needed and the property is not weakened for nothing.

_PERCENTAGE_100 = {"coverage": [{"scope": "general", "percent": 100}]}


def test_rules_let_a_later_basic_plan_pay_after_secondary_medicaid_wrote_everything_off():
    """Rules 13 and 17.2: Secondary Medicaid at ordinal 2 writes off everything left; a
    Basic plan at ordinal 3 ignores earlier write-offs and still pays, and only a PPO
    primary's write-off is ever trimmed (17.4), so the patient portion goes below zero."""
    document = {
        "as_of": "2024-01-01",
        "mode": "treatment_plan",
        "patient": {"age": 30},
        "plans": [
            {"ref": "pct", "ordinal": 1, "plan_type": "percentage"},
            {
                "ref": "medicaid",
                "ordinal": 2,
                "plan_type": "percentage",
                "cob_rule": "secondary_medicaid",
            },
            {
                "ref": "basic",
                "ordinal": 3,
                "plan_type": "percentage",
                "cob_rule": "basic",
                "benefits": {
                    "coverage": [{"scope": "general", "percent": 50}],
                    "maximums": [{"scope": "general", "amount": "0.01"}],
                },
            },
        ],
        "procedures": [{"ref": "exam", "code": "D0120", "fee": "80.00"}],
    }
    result = run(document)
    assert [(row["ins_estimate"], row["writeoff"]) for row in result["estimates"]] == [
        ("0.00", None),
        ("0.00", "80.00"),
        ("0.01", None),
    ]
    assert result["procedures"][0]["patient_portion"] == "-0.01"


def _two_lines_a_year_apart(plans: list[dict], codes=("D1110", "D2391")) -> dict:
    return {
        "as_of": "2025-01-10",
        "mode": "in_order",
        "patient": {"age": 30},
        "plans": plans,
        "procedures": [
            {"ref": "a", "code": codes[0], "fee": "100.00", "date": "2025-03-01"},
            {"ref": "b", "code": codes[1], "fee": "100.00", "date": "2025-04-01"},
        ],
    }


def _remaining_2025_after_moving_line_a(document: dict, plan_index: int):
    plan_doc = document["plans"][plan_index]
    year = datetime.date(2025, 1, 1)
    before = remaining_annual_maximum(document, run(document), plan_doc, year)
    moved = copy.deepcopy(document)
    moved["procedures"][0]["date"] = "2026-03-01"
    return before, remaining_annual_maximum(moved, run(moved), plan_doc, year)


def test_rules_let_a_moved_line_free_a_frequency_limit_for_a_line_left_behind():
    """Rule 18: the cleaning left in 2025 was denied by the once-a-year limit that the moved
    one used; moved to 2026, it is paid, and uses more of 2025's maximum than before."""
    plan_doc = {
        "ref": "pct",
        "ordinal": 1,
        "plan_type": "percentage",
        "benefits": {
            **_PERCENTAGE_100,
            "maximums": [{"scope": "general", "amount": "1000.00"}],
            "frequencies": [{"scope": "code_group:D1110,D1120", "per": "calendar_year"}],
        },
    }
    document = _two_lines_a_year_apart([plan_doc], codes=("D1110", "D1120"))
    document["procedures"][0]["fee"] = "50.00"
    assert _remaining_2025_after_moving_line_a(document, 0) == (
        Decimal("950.00"),
        Decimal("900.00"),
    )


def test_rules_let_a_secondary_pay_more_when_the_primary_deductible_moves():
    """Rule 13: the primary's deductible moves from the moved line onto the line left in
    2025; Standard COB then has the secondary pay the part the primary no longer pays."""
    primary = {
        "ref": "primary",
        "ordinal": 1,
        "plan_type": "percentage",
        "benefits": {**_PERCENTAGE_100, "deductibles": [{"scope": "general", "amount": "50"}]},
    }
    secondary = {
        "ref": "secondary",
        "ordinal": 2,
        "plan_type": "percentage",
        "benefits": {
            **_PERCENTAGE_100,
            "maximums": [{"scope": "general", "amount": "1000.00"}],
            "exclusions": [{"scope": "code:D1110"}],
        },
    }
    document = _two_lines_a_year_apart([primary, secondary])
    assert _remaining_2025_after_moving_line_a(document, 1) == (
        Decimal("1000.00"),
        Decimal("950.00"),
    )
