"""Reading a scenario: every kind of invalid input the contract names is refused with the
field's JSON path, and the valid edge cases are accepted (contract estimate.md, sections 1-3).

One table of mutations of a valid base scenario. Where the reader disagrees with the contract
the row is marked `xfail(strict=True)`: the engine is not changed here, the row documents the
disagreement until it is fixed (and starts failing loudly once it is).
"""

import copy
import re

import pytest

from insurance.engine import ScenarioError, estimate, read_scenario, result_json

BASE = {
    "id": "base",
    "description": "a valid scenario that uses every part of the input format",
    "as_of": "2025-03-10",
    "mode": "treatment_plan",
    "patient": {"birth_date": "1980-05-20", "family": ["spouse", "kid"]},
    "settings": {"secondary_ppo_writeoffs": False, "blank_copay_is_zero": True},
    "office_fees": {"D2740": "1350.00", "D0274": "85.00", "D1110": None},
    "plans": [
        {
            "ref": "ppo1",
            "ordinal": 1,
            "plan_type": "ppo",
            "cob_rule": "standard",
            "renewal_month": 1,
            "effective_date": "2020-01-01",
            "fee_schedules": {
                "allowed": {"D2740": "820.00", "D0274": "60.00", "D2391": None},
                "copay": {"D2740": "10.00"},
            },
            "downgrades": {
                "enabled": True,
                "writeoff_on_downgraded": True,
                "rules": [{"code": "D2392", "to": "D2150", "when": "posterior"}],
            },
            "benefits": {
                "coverage": [
                    {"scope": "category:crowns", "percent": 50},
                    {"scope": "general", "percent": 80},
                ],
                "deductibles": [
                    {
                        "scope": "general",
                        "amount": "50.00",
                        "level": "individual",
                        "period": "benefit_year",
                    }
                ],
                "maximums": [
                    {
                        "scope": "general",
                        "amount": "1500.00",
                        "level": "family",
                        "period": "lifetime",
                    }
                ],
                "frequencies": [
                    {
                        "scope": "code_group:D0120,D0150",
                        "count": 2,
                        "per": "calendar_year",
                        "area": "mouth",
                    }
                ],
                "age_limits": [{"scope": "code:D1351", "max_age": 14}],
                "waiting_periods": [{"scope": "category:crowns", "months": 12}],
                "exclusions": [{"scope": "code:D9972"}],
            },
            "zero_writeoff_when_max_reached": None,
            "zero_writeoff_on_frequency_or_age_limit": True,
            "office_fee_for_exclusions": False,
            "missing_tooth_clause": False,
            "benefits_verified": {"source": "eligibility_271", "on": "2025-03-01"},
        },
        {
            "ref": "pct2",
            "ordinal": 2,
            "plan_type": "percentage",
            "cob_rule": "carve_out",
            "fee_schedules": {"plan_fees": {"D2740": "1100.00"}},
            "benefits": {"coverage": [{"scope": "general", "percent": 50}]},
        },
    ],
    "history": [
        {
            "plan": "ppo1",
            "kind": "paid",
            "code": "D2391",
            "tooth": "30",
            "surfaces": "O",
            "date": "2025-02-03",
            "amount": "64.00",
            "deductible": "25.00",
            "writeoff": "40.00",
            "service": "claim-17",
        },
        {
            "plan": "ppo1",
            "kind": "benefits_used",
            "date": "2025-01-15",
            "amount": "100.00",
            "deductible": "0.00",
        },
        {
            "plan": "ppo1",
            "kind": "done_elsewhere",
            "code": "D0120",
            "date": "2024-12-01",
            "member": "spouse",
        },
        {"plan": "ppo1", "kind": "pending", "procedure": "crown", "amount": "400.00"},
    ],
    "procedures": [
        {
            "ref": "crown",
            "code": "D2740",
            "fee": "1350.00",
            "units": 1,
            "tooth": "19",
            "priority": 1,
            "date": "2025-04-01",
            "overrides": {"pct2": {"percentage": 40, "ins_estimate": "100.00"}},
        },
        {"ref": "xrays", "code": "D0274"},
        {"ref": "scaling", "code": "D4341", "fee": "220.00", "quadrant": "UR"},
        {"ref": "bridge", "code": "D6240", "fee": "900.00", "tooth_range": "3-5"},
        {"ref": "denture", "code": "D5110", "fee": "1500.00", "arch": "U"},
    ],
}

# A complete custom category table (it replaces the standard one, so the base's
# `category:crowns` rows need a `crowns` category).
CUSTOM = [
    {"name": "general", "order": 0, "spans": [["D0000", "D7999"], ["D9000", "D9999"]]},
    {"name": "crowns", "order": 8, "spans": [["D2700", "D2799"]]},
]


# --- Mutations ------------------------------------------------------------------------------

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list:
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def _parent(doc, path: str):
    *head, last = _steps(path)
    for step in head:
        doc = doc[step]
    return doc, last


def put(path: str, value):
    """Set (or add) the value at a path."""

    def mutate(doc):
        node, last = _parent(doc, path)
        if isinstance(node, list) and last == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[last] = copy.deepcopy(value)

    return mutate


def drop(path: str):
    def mutate(doc):
        node, last = _parent(doc, path)
        del node[last]

    return mutate


def chain(*mutations):
    def mutate(doc):
        for mutation in mutations:
            mutation(doc)

    return mutate


class _Whole:
    def __init__(self, value):
        self.value = copy.deepcopy(value)


def replace(value):
    """Replace the whole document (even by null)."""
    return lambda doc: _Whole(value)


def mutated(mutation):
    doc = copy.deepcopy(BASE)
    result = mutation(doc)
    return result.value if isinstance(result, _Whole) else doc


def custom(*changes):
    """Replace the category table by CUSTOM, then change that table."""
    return chain(put("categories", CUSTOM), *changes)


def plan_of_type(plan_type: str, schedules: dict):
    """Make plan 0 a plan of the given type with the given fee schedules."""
    return chain(put("plans[0].plan_type", plan_type), put("plans[0].fee_schedules", schedules))


def bad(name, mutation, path, fragment, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(mutation, path, fragment, id=name, marks=marks)


# Where the contract allows `null` (section 3.0: "where this file says so"): office_fees and
# fee-schedule values (3.0, 3.1), the plan-level setting overrides (3.5, 3.6),
# benefits_verified.on (3.6) and the two fields of an override (3.9). Nowhere else.
LONG_REF = "p" * 65
FIVE_PLANS = [{"ref": f"p{n}", "ordinal": n, "plan_type": "percentage"} for n in range(1, 6)]

INVALID = [
    # --- the document and the top level ---------------------------------------------------
    bad("root-not-object", replace(["not", "a", "scenario"]), "$", "must be an object"),
    bad("root-null", replace(None), "$", "must be an object"),
    bad("unknown-top-field", put("as_off", "2025-03-10"), "as_off", "unknown field"),
    bad("missing-as_of", drop("as_of"), "as_of", "is required"),
    bad("null-as_of", put("as_of", None), "as_of", "is required"),
    bad("missing-mode", drop("mode"), "mode", "is required"),
    bad("missing-patient", drop("patient"), "patient", "is required"),
    bad("missing-plans", drop("plans"), "plans", "is required"),
    bad("missing-procedures", drop("procedures"), "procedures", "is required"),
    bad("id-number", put("id", 7), "id", "must be a string"),
    bad("as_of-number", put("as_of", 20250310), "as_of", "must be a string"),
    bad("as_of-format", put("as_of", "10/03/2025"), "as_of", "is not a date"),
    bad("as_of-datetime", put("as_of", "2025-03-10T09:00"), "as_of", "is not a date"),
    bad("as_of-impossible", put("as_of", "2025-02-30"), "as_of", "is not a real date"),
    bad("as_of-not-leap", put("as_of", "2025-02-29"), "as_of", "is not a real date"),
    bad("as_of-month-13", put("as_of", "2025-13-01"), "as_of", "is not a real date"),
    bad("mode-choice", put("mode", "plan"), "mode", "must be one of"),
    bad("plans-not-list", put("plans", {}), "plans", "must be a list"),
    bad("procedures-not-list", put("procedures", {"ref": "x"}), "procedures", "must be a list"),
    bad("history-not-list", put("history", {}), "history", "must be a list"),
    bad("id-null", put("id", None), "id", ""),
    bad("history-null", put("history", None), "history", ""),
    # --- patient (3.3) --------------------------------------------------------------------
    bad("patient-not-object", put("patient", []), "patient", "must be an object"),
    bad("patient-unknown-field", put("patient.name", "Ann"), "patient.name", "unknown field"),
    bad("birth_date-and-age", put("patient.age", 44), "patient", "exactly one"),
    bad("neither-birth_date-nor-age", drop("patient.birth_date"), "patient", "exactly one"),
    bad(
        "birth_date-impossible",
        put("patient.birth_date", "1980-02-30"),
        "patient.birth_date",
        "is not a real date",
    ),
    bad(
        "age-out-of-range",
        chain(drop("patient.birth_date"), put("patient.age", 131)),
        "patient.age",
        "between 0 and 130",
    ),
    bad(
        "age-negative",
        chain(drop("patient.birth_date"), put("patient.age", -1)),
        "patient.age",
        "between 0 and 130",
    ),
    bad(
        "age-string",
        chain(drop("patient.birth_date"), put("patient.age", "44")),
        "patient.age",
        "must be an integer",
    ),
    bad(
        "age-float",
        chain(drop("patient.birth_date"), put("patient.age", 44.0)),
        "patient.age",
        "must be an integer",
    ),
    bad("family-not-list", put("patient.family", "spouse"), "patient.family", "must be a list"),
    bad(
        "family-bad-ref",
        put("patient.family[0]", "my spouse"),
        "patient.family[0]",
        "is not a ref",
    ),
    bad("family-duplicate", put("patient.family[1]", "spouse"), "patient.family", "duplicate"),
    bad(
        "family-null",
        put("patient.family", None),
        "patient.family",
        "",
    ),
    # --- categories (3.4) -----------------------------------------------------------------
    bad("categories-not-list", put("categories", {}), "categories", "must be a list"),
    bad(
        "category-unknown-field",
        custom(put("categories[1].codes", ["D2740"])),
        "categories[1].codes",
        "unknown field",
    ),
    bad(
        "category-name-uppercase",
        custom(put("categories[1].name", "Crowns")),
        "categories[1].name",
        "not a category name",
    ),
    bad(
        "category-name-starts-with-digit",
        custom(put("categories[1].name", "2crowns")),
        "categories[1].name",
        "not a category name",
    ),
    bad(
        "category-name-hyphen",
        custom(put("categories[1].name", "big-crowns")),
        "categories[1].name",
        "not a category name",
    ),
    bad(
        "category-name-missing",
        custom(drop("categories[1].name")),
        "categories[1].name",
        "is required",
    ),
    bad(
        "category-name-duplicate",
        custom(put("categories[1].name", "general")),
        "categories[1].name",
        "duplicate",
    ),
    bad(
        "category-order-duplicate",
        custom(put("categories[1].order", 0)),
        "categories[1].order",
        "duplicate",
    ),
    bad(
        "category-order-too-big",
        custom(put("categories[1].order", 1000)),
        "categories[1].order",
        "between 0 and 999",
    ),
    bad(
        "category-order-negative",
        custom(put("categories[1].order", -1)),
        "categories[1].order",
        "between 0 and 999",
    ),
    bad(
        "category-order-string",
        custom(put("categories[1].order", "8")),
        "categories[1].order",
        "must be an integer",
    ),
    bad(
        "category-order-missing",
        custom(drop("categories[1].order")),
        "categories[1].order",
        "is required",
    ),
    bad(
        "category-spans-missing",
        custom(drop("categories[1].spans")),
        "categories[1].spans",
        "is required",
    ),
    bad(
        "category-span-not-a-pair",
        custom(put("categories[1].spans", [["D2700"]])),
        "categories[1].spans[0]",
        "pair",
    ),
    bad(
        "category-span-three-codes",
        custom(put("categories[1].spans", [["D2700", "D2750", "D2799"]])),
        "categories[1].spans[0]",
        "pair",
    ),
    bad(
        "category-span-reversed",
        custom(put("categories[1].spans", [["D2799", "D2700"]])),
        "categories[1].spans[0]",
        "comes after",
    ),
    bad(
        "category-span-bad-code",
        custom(put("categories[1].spans", [["D2700", "D279"]])),
        "categories[1].spans[0][1]",
        "not a procedure code",
    ),
    bad(
        "custom-table-drops-a-used-category",
        custom(drop("categories[1]")),
        "plans[0].benefits.coverage[0].scope",
        'unknown category "crowns"',
    ),
    # --- settings (3.5) -------------------------------------------------------------------
    bad("settings-not-object", put("settings", []), "settings", "must be an object"),
    bad(
        "settings-unknown",
        put("settings.zero_writeoffs", True),
        "settings.zero_writeoffs",
        "unknown field",
    ),
    bad(
        "settings-string-bool",
        put("settings.secondary_ppo_writeoffs", "true"),
        "settings.secondary_ppo_writeoffs",
        "true or false",
    ),
    bad(
        "settings-int-bool",
        put("settings.blank_copay_is_zero", 1),
        "settings.blank_copay_is_zero",
        "true or false",
    ),
    bad(
        "settings-null",
        put("settings.secondary_ppo_writeoffs", None),
        "settings.secondary_ppo_writeoffs",
        "",
    ),
    # --- office_fees (3.1) ----------------------------------------------------------------
    bad("office_fees-not-object", put("office_fees", []), "office_fees", "must be an object"),
    bad(
        "office_fee-number",
        put("office_fees.D2740", 1350),
        "office_fees.D2740",
        "must be money as a string",
    ),
    bad(
        "office_fee-three-decimals",
        put("office_fees.D2740", "1350.001"),
        "office_fees.D2740",
        "is not money",
    ),
    bad(
        "office_fee-bad-code",
        put("office_fees.D27", "10.00"),
        "office_fees.D27",
        "not a procedure code",
    ),
    # --- plans (3.6) ----------------------------------------------------------------------
    bad("more-than-4-plans", put("plans", FIVE_PLANS), "plans", "at most 4"),
    bad("plan-not-object", put("plans[1]", "pct2"), "plans[1]", "must be an object"),
    bad(
        "plan-unknown-field", put("plans[0].deductible", "50.00"), "plans[0].deductible", "unknown"
    ),
    bad("plan-ref-missing", drop("plans[0].ref"), "plans[0].ref", "is required"),
    bad("plan-ref-space", put("plans[0].ref", "ppo 1"), "plans[0].ref", "is not a ref"),
    bad("plan-ref-empty", put("plans[0].ref", ""), "plans[0].ref", "is not a ref"),
    bad("plan-ref-65-chars", put("plans[0].ref", LONG_REF), "plans[0].ref", "is not a ref"),
    bad("plan-ref-non-ascii", put("plans[0].ref", "plän"), "plans[0].ref", "is not a ref"),
    bad("plan-ref-number", put("plans[0].ref", 1), "plans[0].ref", "must be a string"),
    bad("plan-ref-duplicate", put("plans[1].ref", "ppo1"), "plans[1].ref", "duplicate"),
    bad("plan-ordinal-missing", drop("plans[0].ordinal"), "plans[0].ordinal", "is required"),
    bad("plan-ordinal-duplicate", put("plans[1].ordinal", 1), "plans[1].ordinal", "duplicate"),
    bad("plan-ordinal-gap", put("plans[1].ordinal", 3), "plans", "without gaps"),
    bad(
        "plan-ordinal-not-from-1",
        chain(put("plans[0].ordinal", 2), put("plans[1].ordinal", 3)),
        "plans",
        "without gaps",
    ),
    bad("plan-ordinal-0", put("plans[0].ordinal", 0), "plans[0].ordinal", "between 1 and 4"),
    bad("plan-ordinal-5", put("plans[1].ordinal", 5), "plans[1].ordinal", "between 1 and 4"),
    bad("plan-ordinal-bool", put("plans[0].ordinal", True), "plans[0].ordinal", "integer"),
    bad("plan_type-missing", drop("plans[0].plan_type"), "plans[0].plan_type", "is required"),
    bad("plan_type-choice", put("plans[0].plan_type", "hmo"), "plans[0].plan_type", "one of"),
    bad("cob_rule-choice", put("plans[1].cob_rule", "secondary"), "plans[1].cob_rule", "one of"),
    bad(
        "cob_rule-null",
        put("plans[1].cob_rule", None),
        "plans[1].cob_rule",
        "",
    ),
    bad(
        "renewal_month-13",
        put("plans[0].renewal_month", 13),
        "plans[0].renewal_month",
        "between 1 and 12",
    ),
    bad(
        "renewal_month-0",
        put("plans[0].renewal_month", 0),
        "plans[0].renewal_month",
        "between 1 and 12",
    ),
    bad(
        "effective_date-impossible",
        put("plans[0].effective_date", "2020-04-31"),
        "plans[0].effective_date",
        "is not a real date",
    ),
    bad(
        "missing_tooth_clause-string",
        put("plans[0].missing_tooth_clause", "yes"),
        "plans[0].missing_tooth_clause",
        "true or false",
    ),
    bad(
        "missing_tooth_clause-null",
        put("plans[0].missing_tooth_clause", None),
        "plans[0].missing_tooth_clause",
        "",
    ),
    bad(
        "plan-setting-override-string",
        put("plans[0].zero_writeoff_when_max_reached", "false"),
        "plans[0].zero_writeoff_when_max_reached",
        "true or false",
    ),
    bad(
        "benefits_verified-source-choice",
        put("plans[0].benefits_verified.source", "phone"),
        "plans[0].benefits_verified.source",
        "one of",
    ),
    bad(
        "benefits_verified-source-missing",
        drop("plans[0].benefits_verified.source"),
        "plans[0].benefits_verified.source",
        "is required",
    ),
    bad(
        "benefits_verified-unknown-field",
        put("plans[0].benefits_verified.date", "2025-03-01"),
        "plans[0].benefits_verified.date",
        "unknown field",
    ),
    bad(
        "benefits_verified-on-impossible",
        put("plans[0].benefits_verified.on", "2025-02-29"),
        "plans[0].benefits_verified.on",
        "is not a real date",
    ),
    # --- fee schedules: which schedules a plan type uses (3.6) -----------------------------
    bad(
        "ppo-with-plan_fees",
        put("plans[0].fee_schedules.plan_fees", {"D2740": "900.00"}),
        "plans[0].fee_schedules.plan_fees",
        "has no plan_fees schedule",
    ),
    bad(
        "ppo-with-fixed_benefit",
        put("plans[0].fee_schedules.fixed_benefit", {"D2740": "500.00"}),
        "plans[0].fee_schedules.fixed_benefit",
        "has no fixed_benefit schedule",
    ),
    bad(
        "ppo_fixed_benefit-with-copay",
        plan_of_type("ppo_fixed_benefit", {"allowed": {}, "copay": {"D2740": "10.00"}}),
        "plans[0].fee_schedules.copay",
        "has no copay schedule",
    ),
    bad(
        "ppo_fixed_benefit-with-plan_fees",
        plan_of_type("ppo_fixed_benefit", {"plan_fees": {}}),
        "plans[0].fee_schedules.plan_fees",
        "has no plan_fees schedule",
    ),
    bad(
        "percentage-with-fixed_benefit",
        put("plans[1].fee_schedules.fixed_benefit", {"D2740": "500.00"}),
        "plans[1].fee_schedules.fixed_benefit",
        "has no fixed_benefit schedule",
    ),
    bad(
        "flat_copay-with-plan_fees",
        plan_of_type("flat_copay", {"plan_fees": {"D2740": "500.00"}}),
        "plans[0].fee_schedules.plan_fees",
        "has no plan_fees schedule",
    ),
    bad(
        "flat_copay-with-fixed_benefit",
        plan_of_type("flat_copay", {"fixed_benefit": {}}),
        "plans[0].fee_schedules.fixed_benefit",
        "has no fixed_benefit schedule",
    ),
    bad(
        "capitation-with-allowed",
        plan_of_type("capitation", {"allowed": {"D2740": "500.00"}}),
        "plans[0].fee_schedules.allowed",
        "has no allowed schedule",
    ),
    bad(
        "capitation-with-null-allowed",
        plan_of_type("capitation", {"allowed": None}),
        "plans[0].fee_schedules.allowed",
        "has no allowed schedule",
    ),
    bad(
        "fee_schedules-unknown",
        put("plans[0].fee_schedules.ucr", {}),
        "plans[0].fee_schedules.ucr",
        "unknown field",
    ),
    bad(
        "schedule-money-number",
        put("plans[0].fee_schedules.allowed.D2740", 820),
        "plans[0].fee_schedules.allowed.D2740",
        "must be money as a string",
    ),
    bad(
        "schedule-money-negative",
        put("plans[0].fee_schedules.allowed.D2740", "-820.00"),
        "plans[0].fee_schedules.allowed.D2740",
        "is not money",
    ),
    bad(
        "schedule-bad-code",
        put("plans[0].fee_schedules.copay.d2740", "10.00"),
        "plans[0].fee_schedules.copay.d2740",
        "not a procedure code",
    ),
    # --- downgrades (3.6) -----------------------------------------------------------------
    bad(
        "downgrades-unknown-field",
        put("plans[0].downgrades.on", True),
        "plans[0].downgrades.on",
        "unknown field",
    ),
    bad(
        "downgrades-enabled-string",
        put("plans[0].downgrades.enabled", "yes"),
        "plans[0].downgrades.enabled",
        "true or false",
    ),
    bad(
        "downgrade-rule-unknown-field",
        put("plans[0].downgrades.rules[0].tooth", "30"),
        "plans[0].downgrades.rules[0].tooth",
        "unknown field",
    ),
    bad(
        "downgrade-when-choice",
        put("plans[0].downgrades.rules[0].when", "sometimes"),
        "plans[0].downgrades.rules[0].when",
        "one of",
    ),
    bad(
        "downgrade-to-bad-code",
        put("plans[0].downgrades.rules[0].to", "D215"),
        "plans[0].downgrades.rules[0].to",
        "not a procedure code",
    ),
    bad(
        "downgrade-code-missing",
        drop("plans[0].downgrades.rules[0].code"),
        "plans[0].downgrades.rules[0].code",
        "is required",
    ),
    # --- benefits (3.7) -------------------------------------------------------------------
    bad(
        "benefits-unknown-list",
        put("plans[0].benefits.copays", []),
        "plans[0].benefits.copays",
        "unknown field",
    ),
    bad(
        "benefit-list-not-list",
        put("plans[0].benefits.coverage", {"scope": "general", "percent": 80}),
        "plans[0].benefits.coverage",
        "must be a list",
    ),
    bad(
        "benefit-list-null",
        put("plans[0].benefits.coverage", None),
        "plans[0].benefits.coverage",
        "",
    ),
    bad(
        "percent-string",
        put("plans[0].benefits.coverage[0].percent", "50"),
        "plans[0].benefits.coverage[0].percent",
        "must be an integer",
    ),
    bad(
        "percent-float",
        put("plans[0].benefits.coverage[0].percent", 50.5),
        "plans[0].benefits.coverage[0].percent",
        "must be an integer",
    ),
    bad(
        "percent-whole-float",
        put("plans[0].benefits.coverage[0].percent", 50.0),
        "plans[0].benefits.coverage[0].percent",
        "must be an integer",
    ),
    bad(
        "percent-101",
        put("plans[0].benefits.coverage[0].percent", 101),
        "plans[0].benefits.coverage[0].percent",
        "must be between 0 and 100",
    ),
    bad(
        "percent-negative",
        put("plans[0].benefits.coverage[0].percent", -1),
        "plans[0].benefits.coverage[0].percent",
        "must be between 0 and 100",
    ),
    bad(
        "percent-missing",
        drop("plans[0].benefits.coverage[0].percent"),
        "plans[0].benefits.coverage[0].percent",
        "is required",
    ),
    bad(
        "coverage-row-unknown-field",
        put("plans[0].benefits.coverage[1].amount", "10.00"),
        "plans[0].benefits.coverage[1].amount",
        "unknown field",
    ),
    bad(
        "scope-missing",
        drop("plans[0].benefits.coverage[0].scope"),
        "plans[0].benefits.coverage[0].scope",
        "is required",
    ),
    bad(
        "scope-bare-category-name",
        put("plans[0].benefits.coverage[0].scope", "crowns"),
        "plans[0].benefits.coverage[0].scope",
        "is not a scope",
    ),
    bad(
        "scope-capitalised-kind",
        put("plans[0].benefits.coverage[0].scope", "Category:crowns"),
        "plans[0].benefits.coverage[0].scope",
        "is not a scope",
    ),
    bad(
        "scope-empty-category",
        put("plans[0].benefits.coverage[0].scope", "category:"),
        "plans[0].benefits.coverage[0].scope",
        "is not a scope",
    ),
    bad(
        "scope-unknown-category",
        put("plans[0].benefits.coverage[0].scope", "category:fillings"),
        "plans[0].benefits.coverage[0].scope",
        'unknown category "fillings"',
    ),
    bad(
        "scope-general-category-in-table-without-general",
        chain(
            custom(drop("categories[0]")),
            put("plans[0].benefits.coverage[1].scope", "category:general"),
        ),
        "plans[0].benefits.coverage[1].scope",
        'unknown category "general"',
    ),
    bad(
        "scope-bad-code",
        put("plans[0].benefits.coverage[0].scope", "code:D274"),
        "plans[0].benefits.coverage[0].scope",
        "not a valid code scope",
    ),
    bad(
        "scope-code-with-two-codes",
        put("plans[0].benefits.coverage[0].scope", "code:D2740,D2750"),
        "plans[0].benefits.coverage[0].scope",
        "not a valid code scope",
    ),
    bad(
        "scope-code-group-semicolon",
        put("plans[0].benefits.coverage[0].scope", "code_group:D0120;D0150"),
        "plans[0].benefits.coverage[0].scope",
        "not a valid code_group scope",
    ),
    bad(
        "scope-code-group-empty-item",
        put("plans[0].benefits.coverage[0].scope", "code_group:D0120,,D0150"),
        "plans[0].benefits.coverage[0].scope",
        "not a valid code_group scope",
    ),
    bad(
        "scope-number",
        put("plans[0].benefits.coverage[0].scope", 8),
        "plans[0].benefits.coverage[0].scope",
        "must be a string",
    ),
    bad(
        "deductible-amount-number",
        put("plans[0].benefits.deductibles[0].amount", 50),
        "plans[0].benefits.deductibles[0].amount",
        "must be money as a string",
    ),
    bad(
        "deductible-amount-missing",
        drop("plans[0].benefits.deductibles[0].amount"),
        "plans[0].benefits.deductibles[0].amount",
        "is required",
    ),
    bad(
        "deductible-level-choice",
        put("plans[0].benefits.deductibles[0].level", "group"),
        "plans[0].benefits.deductibles[0].level",
        "one of",
    ),
    bad(
        "deductible-period-choice",
        put("plans[0].benefits.deductibles[0].period", "calendar_year"),
        "plans[0].benefits.deductibles[0].period",
        "one of",
    ),
    bad(
        "deductible-row-unknown-field",
        put("plans[0].benefits.deductibles[0].percent", 50),
        "plans[0].benefits.deductibles[0].percent",
        "unknown field",
    ),
    bad(
        "maximum-amount-thousands-separator",
        put("plans[0].benefits.maximums[0].amount", "1,500.00"),
        "plans[0].benefits.maximums[0].amount",
        "is not money",
    ),
    bad(
        "maximum-amount-float-number",
        put("plans[0].benefits.maximums[0].amount", 1500.0),
        "plans[0].benefits.maximums[0].amount",
        "must be money as a string",
    ),
    bad(
        "maximum-level-choice",
        put("plans[0].benefits.maximums[0].level", "everyone"),
        "plans[0].benefits.maximums[0].level",
        "one of",
    ),
    bad(
        "maximum-row-unknown-field",
        put("plans[0].benefits.maximums[0].per", "benefit_year"),
        "plans[0].benefits.maximums[0].per",
        "unknown field",
    ),
    bad(
        "frequency-scope-category",
        put("plans[0].benefits.frequencies[0].scope", "category:preventive"),
        "plans[0].benefits.frequencies[0].scope",
        "code or code group",
    ),
    bad(
        "frequency-scope-general",
        put("plans[0].benefits.frequencies[0].scope", "general"),
        "plans[0].benefits.frequencies[0].scope",
        "code or code group",
    ),
    bad(
        "frequency-per-choice",
        put("plans[0].benefits.frequencies[0].per", "weekly"),
        "plans[0].benefits.frequencies[0].per",
        "is not a period",
    ),
    bad(
        "frequency-per-months-0",
        put("plans[0].benefits.frequencies[0].per", "months:0"),
        "plans[0].benefits.frequencies[0].per",
        "is not a period",
    ),
    bad(
        "frequency-per-fullwidth-digit",
        put("plans[0].benefits.frequencies[0].per", "months:６"),
        "plans[0].benefits.frequencies[0].per",
        "is not a period",
    ),
    bad(
        "frequency-per-years-without-n",
        put("plans[0].benefits.frequencies[0].per", "years"),
        "plans[0].benefits.frequencies[0].per",
        "is not a period",
    ),
    bad(
        "frequency-per-missing",
        drop("plans[0].benefits.frequencies[0].per"),
        "plans[0].benefits.frequencies[0].per",
        "is required",
    ),
    bad(
        "frequency-count-string",
        put("plans[0].benefits.frequencies[0].count", "2"),
        "plans[0].benefits.frequencies[0].count",
        "must be an integer",
    ),
    bad(
        "frequency-area-choice",
        put("plans[0].benefits.frequencies[0].area", "face"),
        "plans[0].benefits.frequencies[0].area",
        "one of",
    ),
    bad(
        "frequency-row-unknown-field",
        put("plans[0].benefits.frequencies[0].amount", "10.00"),
        "plans[0].benefits.frequencies[0].amount",
        "unknown field",
    ),
    bad(
        "age_limit-string",
        put("plans[0].benefits.age_limits[0].max_age", "14"),
        "plans[0].benefits.age_limits[0].max_age",
        "must be an integer",
    ),
    bad(
        "age_limit-negative",
        put("plans[0].benefits.age_limits[0].max_age", -1),
        "plans[0].benefits.age_limits[0].max_age",
        "between",
    ),
    bad(
        "age_limit-missing",
        drop("plans[0].benefits.age_limits[0].max_age"),
        "plans[0].benefits.age_limits[0].max_age",
        "is required",
    ),
    bad(
        "age_limit-row-unknown-field",
        put("plans[0].benefits.age_limits[0].min_age", 2),
        "plans[0].benefits.age_limits[0].min_age",
        "unknown field",
    ),
    bad(
        "waiting_period-row-unknown-field",
        put("plans[0].benefits.waiting_periods[0].days", 30),
        "plans[0].benefits.waiting_periods[0].days",
        "unknown field",
    ),
    bad(
        "waiting_period-negative",
        put("plans[0].benefits.waiting_periods[0].months", -1),
        "plans[0].benefits.waiting_periods[0].months",
        "between",
    ),
    bad(
        "waiting_period-float",
        put("plans[0].benefits.waiting_periods[0].months", 12.5),
        "plans[0].benefits.waiting_periods[0].months",
        "must be an integer",
    ),
    bad(
        "exclusion-scope-general",
        put("plans[0].benefits.exclusions[0].scope", "general"),
        "plans[0].benefits.exclusions[0].scope",
        "scope general",
    ),
    bad(
        "exclusion-row-unknown-field",
        put("plans[0].benefits.exclusions[0].percent", 0),
        "plans[0].benefits.exclusions[0].percent",
        "unknown field",
    ),
    # --- history (3.8) --------------------------------------------------------------------
    bad("history-entry-not-object", put("history[0]", "paid"), "history[0]", "must be an object"),
    bad(
        "history-unknown-field",
        put("history[0].paid_on", "2025-02-10"),
        "history[0].paid_on",
        "unknown field",
    ),
    bad("history-kind-missing", drop("history[0].kind"), "history[0].kind", "is required"),
    bad("history-kind-choice", put("history[0].kind", "denied"), "history[0].kind", "one of"),
    bad("history-plan-missing", drop("history[0].plan"), "history[0].plan", "is required"),
    bad(
        "history-unknown-plan",
        put("history[0].plan", "dental2"),
        "history[0].plan",
        'unknown plan "dental2"',
    ),
    bad(
        "history-unknown-member",
        put("history[2].member", "cousin"),
        "history[2].member",
        'unknown family member "cousin"',
    ),
    bad(
        "history-member-without-family",
        drop("patient.family"),
        "history[2].member",
        'unknown family member "spouse"',
    ),
    bad(
        "history-unknown-procedure",
        put("history[3].procedure", "implant"),
        "history[3].procedure",
        'unknown procedure "implant"',
    ),
    bad(
        "benefits_used-with-code",
        put("history[1].code", "D2740"),
        "history[1].code",
        "not used on a benefits_used entry",
    ),
    bad(
        "benefits_used-with-tooth",
        put("history[1].tooth", "3"),
        "history[1].tooth",
        "not used on a benefits_used entry",
    ),
    bad(
        "benefits_used-with-writeoff",
        put("history[1].writeoff", "10.00"),
        "history[1].writeoff",
        "not used on a benefits_used entry",
    ),
    bad(
        "benefits_used-with-procedure",
        put("history[1].procedure", "crown"),
        "history[1].procedure",
        "not used on a benefits_used entry",
    ),
    bad(
        "done_elsewhere-with-amount",
        put("history[2].amount", "0.00"),
        "history[2].amount",
        "not used on a done_elsewhere entry",
    ),
    bad(
        "done_elsewhere-with-deductible",
        put("history[2].deductible", "10.00"),
        "history[2].deductible",
        "not used on a done_elsewhere entry",
    ),
    bad(
        "done_elsewhere-with-writeoff",
        put("history[2].writeoff", "10.00"),
        "history[2].writeoff",
        "not used on a done_elsewhere entry",
    ),
    bad(
        "done_elsewhere-with-procedure",
        put("history[2].procedure", "crown"),
        "history[2].procedure",
        "not used on a done_elsewhere entry",
    ),
    bad(
        "paid-without-code-or-procedure",
        drop("history[0].code"),
        "history[0].code",
        "is required",
    ),
    bad(
        "done_elsewhere-without-code",
        drop("history[2].code"),
        "history[2].code",
        "is required",
    ),
    bad("history-date-missing", drop("history[0].date"), "history[0].date", "is required"),
    bad(
        "benefits_used-date-missing",
        drop("history[1].date"),
        "history[1].date",
        "is required",
    ),
    bad(
        "history-date-impossible",
        put("history[0].date", "2025-02-30"),
        "history[0].date",
        "is not a real date",
    ),
    bad(
        "history-amount-number",
        put("history[0].amount", 64),
        "history[0].amount",
        "must be money as a string",
    ),
    bad(
        "history-deductible-bad-money",
        put("history[1].deductible", "25.5.0"),
        "history[1].deductible",
        "is not money",
    ),
    bad(
        "history-tooth-and-tooth_range",
        put("history[0].tooth_range", "29-31"),
        "history[0]",
        "at most one of tooth, tooth_range, arch, quadrant",
    ),
    bad(
        "history-surfaces-without-tooth",
        chain(drop("history[0].tooth"), put("history[0].arch", "L")),
        "history[0].surfaces",
        "surfaces need a tooth",
    ),
    bad(
        "history-bad-tooth",
        put("history[0].tooth", "33"),
        "history[0].tooth",
        "is not a tooth",
    ),
    bad(
        "history-bad-surfaces",
        put("history[0].surfaces", "OO"),
        "history[0].surfaces",
        "is not a set of surfaces",
    ),
    bad(
        "history-amount-null",
        put("history[0].amount", None),
        "history[0].amount",
        "",
    ),
    # --- procedures (3.9) -----------------------------------------------------------------
    bad("procedure-not-object", put("procedures[0]", "crown"), "procedures[0]", "an object"),
    bad(
        "procedure-unknown-field",
        put("procedures[0].teeth", "19"),
        "procedures[0].teeth",
        "unknown field",
    ),
    bad("procedure-ref-missing", drop("procedures[0].ref"), "procedures[0].ref", "is required"),
    bad(
        "procedure-ref-duplicate",
        put("procedures[2].ref", "crown"),
        "procedures[2].ref",
        'duplicate ref "crown"',
    ),
    bad(
        "procedure-ref-bad",
        put("procedures[0].ref", "crown #19"),
        "procedures[0].ref",
        "is not a ref",
    ),
    bad("code-missing", drop("procedures[0].code"), "procedures[0].code", "is required"),
    bad("code-three-digits", put("procedures[0].code", "D274"), "procedures[0].code", "not a"),
    bad("code-five-digits", put("procedures[0].code", "D27400"), "procedures[0].code", "not a"),
    bad("code-lowercase", put("procedures[0].code", "d2740"), "procedures[0].code", "not a"),
    bad("code-no-letter", put("procedures[0].code", "2740"), "procedures[0].code", "not a"),
    bad("code-other-letter", put("procedures[0].code", "X2740"), "procedures[0].code", "not a"),
    bad("code-padded", put("procedures[0].code", " D2740"), "procedures[0].code", "not a"),
    bad("code-number", put("procedures[0].code", 2740), "procedures[0].code", "must be a string"),
    bad(
        "code-fullwidth-digits",
        put("procedures[0].code", "D２７４０"),
        "procedures[0].code",
        "not a procedure code",
    ),
    bad(
        "fee-number",
        put("procedures[0].fee", 1350),
        "procedures[0].fee",
        "must be money as a string",
    ),
    bad(
        "fee-three-decimals",
        put("procedures[0].fee", "1350.001"),
        "procedures[0].fee",
        "is not money",
    ),
    bad("fee-negative", put("procedures[0].fee", "-1.00"), "procedures[0].fee", "is not money"),
    bad("fee-trailing-dot", put("procedures[0].fee", "1350."), "procedures[0].fee", "not money"),
    bad("fee-leading-dot", put("procedures[0].fee", ".50"), "procedures[0].fee", "not money"),
    bad("fee-exponent", put("procedures[0].fee", "1e3"), "procedures[0].fee", "not money"),
    bad("fee-currency", put("procedures[0].fee", "$1350"), "procedures[0].fee", "not money"),
    bad("fee-empty", put("procedures[0].fee", ""), "procedures[0].fee", "not money"),
    bad(
        "fee-fullwidth-digits",
        put("procedures[0].fee", "１３５０.００"),
        "procedures[0].fee",
        "is not money",
    ),
    bad(
        "fee-null",
        put("procedures[0].fee", None),
        "procedures[0].fee",
        "",
    ),
    bad(
        "no-fee-and-no-office-fee",
        drop("procedures[2].fee"),
        "procedures[2].fee",
        "no fee given and no office fee for D4341",
    ),
    bad(
        "no-fee-and-blank-office-fee",
        put("procedures[1].code", "D1110"),
        "procedures[1].fee",
        "no fee given and no office fee for D1110",
    ),
    bad(
        "no-fee-and-no-office_fees-at-all",
        drop("office_fees"),
        "procedures[1].fee",
        "no office fee for D0274",
    ),
    bad("units-0", put("procedures[0].units", 0), "procedures[0].units", "between 1 and 99"),
    bad("units-100", put("procedures[0].units", 100), "procedures[0].units", "between 1 and 99"),
    bad("units-string", put("procedures[0].units", "2"), "procedures[0].units", "an integer"),
    bad("priority-0", put("procedures[0].priority", 0), "procedures[0].priority", "at least 1"),
    bad("priority-float", put("procedures[0].priority", 1.5), "procedures[0].priority", "integer"),
    bad(
        "procedure-date-impossible",
        put("procedures[0].date", "2025-06-31"),
        "procedures[0].date",
        "is not a real date",
    ),
    bad("tooth-33", put("procedures[0].tooth", "33"), "procedures[0].tooth", "is not a tooth"),
    bad("tooth-0", put("procedures[0].tooth", "0"), "procedures[0].tooth", "is not a tooth"),
    bad("tooth-leading-0", put("procedures[0].tooth", "03"), "procedures[0].tooth", "not a tooth"),
    bad("tooth-U", put("procedures[0].tooth", "U"), "procedures[0].tooth", "is not a tooth"),
    bad("tooth-lowercase", put("procedures[0].tooth", "a"), "procedures[0].tooth", "not a tooth"),
    bad("tooth-number", put("procedures[0].tooth", 19), "procedures[0].tooth", "a string"),
    bad(
        "tooth-null",
        put("procedures[0].tooth", None),
        "procedures[0].tooth",
        "",
    ),
    bad(
        "tooth-and-tooth_range",
        put("procedures[0].tooth_range", "18-20"),
        "procedures[0]",
        "at most one of tooth, tooth_range, arch, quadrant",
    ),
    bad(
        "tooth-and-arch",
        put("procedures[0].arch", "L"),
        "procedures[0]",
        "at most one of tooth, tooth_range, arch, quadrant",
    ),
    bad(
        "arch-and-quadrant",
        put("procedures[2].arch", "U"),
        "procedures[2]",
        "at most one of tooth, tooth_range, arch, quadrant",
    ),
    bad(
        "tooth_range-and-quadrant",
        put("procedures[3].quadrant", "UR"),
        "procedures[3]",
        "at most one of tooth, tooth_range, arch, quadrant",
    ),
    bad(
        "surfaces-without-tooth",
        put("procedures[2].surfaces", "O"),
        "procedures[2].surfaces",
        "surfaces need a tooth",
    ),
    bad(
        "surfaces-with-tooth_range",
        put("procedures[3].surfaces", "O"),
        "procedures[3].surfaces",
        "surfaces need a tooth",
    ),
    bad(
        "surfaces-repeated",
        put("procedures[0].surfaces", "MOM"),
        "procedures[0].surfaces",
        "is not a set of surfaces",
    ),
    bad(
        "surfaces-unknown-letter",
        put("procedures[0].surfaces", "MX"),
        "procedures[0].surfaces",
        "is not a set of surfaces",
    ),
    bad(
        "surfaces-lowercase",
        put("procedures[0].surfaces", "mo"),
        "procedures[0].surfaces",
        "is not a set of surfaces",
    ),
    bad(
        "surfaces-empty",
        put("procedures[0].surfaces", ""),
        "procedures[0].surfaces",
        "is not a set of surfaces",
    ),
    bad(
        "tooth_range-reversed",
        put("procedures[3].tooth_range", "10-7"),
        "procedures[3].tooth_range",
        "is not a tooth range",
    ),
    bad(
        "tooth_range-primary-run",
        put("procedures[3].tooth_range", "A-C"),
        "procedures[3].tooth_range",
        "is not a tooth range",
    ),
    bad(
        "tooth_range-empty-item",
        put("procedures[3].tooth_range", "1,,2"),
        "procedures[3].tooth_range",
        "is not a tooth range",
    ),
    bad(
        "tooth_range-beyond-32",
        put("procedures[3].tooth_range", "30-33"),
        "procedures[3].tooth_range",
        "is not a tooth range",
    ),
    bad(
        "tooth_range-spaces",
        put("procedures[3].tooth_range", "1, 2"),
        "procedures[3].tooth_range",
        "is not a tooth range",
    ),
    bad(
        "tooth_range-empty",
        put("procedures[3].tooth_range", ""),
        "procedures[3].tooth_range",
        "is not a tooth range",
    ),
    bad("arch-choice", put("procedures[4].arch", "X"), "procedures[4].arch", "one of"),
    bad("arch-lowercase", put("procedures[4].arch", "u"), "procedures[4].arch", "one of"),
    bad("quadrant-choice", put("procedures[2].quadrant", "UX"), "procedures[2].quadrant", "one of"),
    bad(
        "overrides-not-object",
        put("procedures[0].overrides", []),
        "procedures[0].overrides",
        "must be an object",
    ),
    bad(
        "overrides-unknown-plan",
        put("procedures[0].overrides.dental2", {"percentage": 10}),
        "procedures[0].overrides.dental2",
        'unknown plan "dental2"',
    ),
    bad(
        "override-unknown-field",
        put("procedures[0].overrides.pct2.insurance", "100.00"),
        "procedures[0].overrides.pct2.insurance",
        "unknown field",
    ),
    bad(
        "override-ins_estimate-number",
        put("procedures[0].overrides.pct2.ins_estimate", 100),
        "procedures[0].overrides.pct2.ins_estimate",
        "must be money as a string",
    ),
    bad(
        "override-percentage-string",
        put("procedures[0].overrides.pct2.percentage", "40"),
        "procedures[0].overrides.pct2.percentage",
        "must be an integer",
    ),
    bad(
        "override-percentage-float",
        put("procedures[0].overrides.pct2.percentage", 40.5),
        "procedures[0].overrides.pct2.percentage",
        "must be an integer",
    ),
    bad(
        "override-percentage-over-100",
        put("procedures[0].overrides.pct2.percentage", 120),
        "procedures[0].overrides.pct2.percentage",
        "must be between 0 and 100",
    ),
]


@pytest.mark.parametrize(("mutation", "path", "fragment"), INVALID)
def test_invalid_input_is_refused_with_its_path(mutation, path, fragment):
    document = mutated(mutation)
    with pytest.raises(ScenarioError) as caught:
        read_scenario(document)
    assert caught.value.path == path
    assert fragment in caught.value.problem
    assert str(caught.value) == f"{path}: {caught.value.problem}"


def test_a_batch_element_error_path_starts_with_its_index():
    document = mutated(put("procedures[0].fee", 1350))
    with pytest.raises(ScenarioError) as caught:
        read_scenario(document, "[3]")
    assert caught.value.path == "[3].procedures[0].fee"
    with pytest.raises(ScenarioError) as caught:
        read_scenario("not a scenario", "[1]")
    assert caught.value.path == "[1]"


# --- Valid edge cases ---------------------------------------------------------------------


def _line(result: dict, ref: str) -> dict:
    return next(line for line in result["procedures"] if line["procedure"] == ref)


def _estimates(result: dict, ref: str) -> list[dict]:
    return [row for row in result["estimates"] if row["procedure"] == ref]


NO_PLANS = chain(
    put("plans", []),
    drop("history"),
    drop("procedures[0].overrides"),
)
NO_PROCEDURES = chain(put("procedures", []), drop("history[3]"))


def ok(name, mutation, check=None, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(mutation, check, id=name, marks=marks)


VALID = [
    ok("base-as-is", lambda doc: None, lambda r: len(r["procedures"]) == 5),
    ok(
        "minimal-scenario",
        replace(
            {
                "as_of": "2025-01-02",
                "mode": "single_procedure",
                "patient": {"age": 0},
                "plans": [],
                "procedures": [],
            }
        ),
        lambda r: (
            r
            == {
                "as_of": "2025-01-02",
                "mode": "single_procedure",
                "estimates": [],
                "procedures": [],
                "plans": [],
            }
        ),
    ),
    ok(
        "empty-plans-insurance-pays-nothing",
        NO_PLANS,
        lambda r: (
            r["estimates"] == [] and all(line["ins_total"] == "0.00" for line in r["procedures"])
        ),
    ),
    ok("empty-procedures", NO_PROCEDURES, lambda r: r["procedures"] == [] and r["estimates"] == []),
    ok(
        "empty-history-and-categories-spans",
        chain(put("history", []), custom(put("categories[1].spans", []))),
    ),
    ok(
        "money-one-decimal",
        put("procedures[2].fee", "87.5"),
        lambda r: _line(r, "scaling")["fee"] == "87.50",
    ),
    ok(
        "money-whole-and-zero",
        chain(put("procedures[2].fee", "1200"), put("procedures[4].fee", "0")),
        lambda r: _line(r, "scaling")["fee"] == "1200.00" and _line(r, "denture")["fee"] == "0.00",
    ),
    ok("age-instead-of-birth_date", chain(drop("patient.birth_date"), put("patient.age", 130))),
    ok("age-zero", chain(drop("patient.birth_date"), put("patient.age", 0))),
    ok("leap-day", put("procedures[0].date", "2028-02-29")),
    ok(
        "null-where-allowed",
        chain(
            put("office_fees.D4341", None),
            put("plans[0].fee_schedules.copay.D2391", None),
            put("plans[0].office_fee_for_exclusions", None),
            put("plans[0].zero_writeoff_on_frequency_or_age_limit", None),
            put("plans[0].benefits_verified.on", None),
            put("procedures[0].overrides.pct2", {"ins_estimate": None, "percentage": None}),
        ),
        lambda r: (
            r["plans"][0]["benefits_as_of"] is None and r["plans"][0]["benefits_age_days"] is None
        ),
    ),
    ok(
        "custom-categories-without-general",
        chain(
            custom(drop("categories[0]")),
            put("plans[0].benefits.maximums[0].level", "individual"),
        ),
    ),
    ok(
        "custom-categories-empty-table",
        chain(
            put("categories", []),
            put("plans[0].benefits.coverage", [{"scope": "general", "percent": 80}]),
            put("plans[0].benefits.waiting_periods", []),
        ),
    ),
    ok(
        "custom-category-names-and-orders",
        custom(
            put(
                "categories[2]",
                {"name": "x_ray2", "order": 999, "spans": [["D0210", "D0210"]]},
            )
        ),
    ),
    ok(
        "exclusion-on-the-general-category",
        put("plans[0].benefits.exclusions[0].scope", "category:general"),
    ),
    ok("code-group-of-one", put("plans[0].benefits.frequencies[0].scope", "code_group:D0120")),
    ok(
        "frequency-periods",
        put(
            "plans[0].benefits.frequencies",
            [
                {"scope": "code:D0120", "per": "benefit_year"},
                {"scope": "code:D0150", "per": "last_12_months", "area": "tooth"},
                {"scope": "code:D1110", "per": "months:6", "area": "arch"},
                {"scope": "code:D2740", "per": "years:5", "area": "tooth_range"},
            ],
        ),
    ),
    ok(
        "every-plan-type-with-its-schedules",
        put(
            "plans",
            [
                {
                    "ref": "ppo1",
                    "ordinal": 1,
                    "plan_type": "ppo_fixed_benefit",
                    "fee_schedules": {"allowed": {}, "fixed_benefit": {"D2740": "300"}},
                },
                {
                    "ref": "medicaid",
                    "ordinal": 2,
                    "plan_type": "flat_copay",
                    "cob_rule": "secondary_medicaid",
                    "fee_schedules": {"allowed": {}, "copay": {}},
                },
                {
                    "ref": "capitation",
                    "ordinal": 3,
                    "plan_type": "capitation",
                    "cob_rule": "basic",
                    "fee_schedules": {"plan_fees": {}, "copay": {}},
                },
                {
                    "ref": "pct2",
                    "ordinal": 4,
                    "plan_type": "percentage",
                    "fee_schedules": {"allowed": {}, "plan_fees": {}, "copay": {}},
                },
            ],
        ),
        lambda r: [p["plan"] for p in r["plans"]] == ["ppo1", "medicaid", "capitation", "pct2"],
    ),
    ok(
        "plans-given-out-of-ordinal-order",
        chain(put("plans[0].ordinal", 2), put("plans[1].ordinal", 1)),
        lambda r: [p["plan"] for p in r["plans"]] == ["pct2", "ppo1"],
    ),
    ok(
        "sites",
        chain(
            put("procedures[0].tooth", "A"),
            put("procedures[0].surfaces", "DOM"),
            put("procedures[3].tooth_range", "1-3,5,A,T"),
            put("procedures[2].quadrant", "LR"),
        ),
    ),
    ok(
        "history-claim-with-its-own-code-and-date",
        chain(put("history[3].code", "D2740"), put("history[3].date", "2025-03-01")),
        lambda r: _estimates(r, "crown")[0]["notes"] == ["claim_pending"],
    ),
    ok(
        "history-for-a-family-member",
        put("history[0].member", "kid"),
    ),
    ok("ref-characters", put("procedures[2].ref", "Scaling_UR.a:b-" + "x" * 49)),
    ok(
        "description-any-text-and-no-id",
        chain(drop("id"), put("description", "")),
        lambda r: "id" not in r,
    ),
    ok("priority-large", put("procedures[0].priority", 2_000_000)),
]


@pytest.mark.parametrize(("mutation", "check"), VALID)
def test_valid_edge_case_is_accepted(mutation, check):
    scenario = read_scenario(mutated(mutation))
    result = result_json(estimate(scenario))
    if check is not None:
        assert check(result)
