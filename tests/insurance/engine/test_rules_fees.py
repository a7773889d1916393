"""What a plan recognises for a line: rules document sections 2 (categories and scopes),
5 (the charged fee), 7 (the allowed amount; blank is not zero) and 12 (the percentage and its
rounding); contract 3.4, 3.5 (blank_allowed_is_zero) and 3.9 (charged fee, units).

Downgrades are in test_rules_downgrades.py; copays, fixed benefits and capitation in
test_rules_copays.py.

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    HALF,
    case,
    check,
    crown,
    paid_out,
    pct,
    plan,
    ppo,
    proc,
    run,
    scenario,
)

# Section 2: categories, scopes, the most specific row ------------------------------------

CATEGORY_CASES = [
    case(
        "s2-crowns-row-beats-restorative",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[pct(cov={"category:restorative": 80, "category:crowns": 50})],
        ),
        {
            "c/p": {"percentage": 50, "ins_estimate": "500.00", "writeoff": None},
            "c": {"patient_portion": "500.00"},
        },
    ),
    case(
        "s2-code-beats-code-group-beats-category",
        scenario(
            proc("a", "D2740", "100.00"),
            proc("b", "D2750", "100.00"),
            proc("c", "D2790", "100.00"),
            plans=[
                pct(
                    cov={
                        "category:crowns": 50,
                        "code_group:D2740,D2750": 60,
                        "code:D2740": 70,
                        "general": 10,
                    }
                )
            ],
            mode="single_procedure",
        ),
        {
            "a/p": {"percentage": 70, "ins_estimate": "70.00"},
            "b/p": {"percentage": 60, "ins_estimate": "60.00"},
            "c/p": {"percentage": 50, "ins_estimate": "50.00"},
        },
    ),
    case(
        # The plan-wide row and a row on the General category are different things: the
        # category row wins inside General, orthodontics only meets the plan-wide row.
        "s2-category-general-is-an-ordinary-category-row",
        scenario(
            proc("filling", "D2391", "100.00"),
            proc("ortho", "D8080", "100.00"),
            plans=[pct(cov={"general": 100, "category:general": 50})],
            mode="single_procedure",
        ),
        {"filling/p": {"percentage": 50}, "ortho/p": {"percentage": 100}},
    ),
    case(
        "s2-code-in-several-categories-higher-order-wins",
        scenario(
            proc("pano", "D0330", "100.00"),
            plans=[pct(cov={"category:diagnostic": 100, "category:diagnostic_xray": 80})],
        ),
        {"pano/p": {"percentage": 80, "ins_estimate": "80.00"}},
    ),
    case(
        "s2-category-with-two-spans",
        scenario(
            proc("denture", "D5110", "100.00"),
            proc("bridge", "D6240", "100.00"),
            proc("implant", "D6010", "100.00"),
            plans=[pct(cov={"category:prosthodontics": 50, "general": 80})],
            mode="single_procedure",
        ),
        {
            "denture/p": {"percentage": 50},
            "bridge/p": {"percentage": 50},
            "implant/p": {"percentage": 80},
        },
    ),
    case(
        "s2-no-matching-row-is-zero-percent",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov={"category:preventive": 100}, ded={"general": "50.00"})],
        ),
        {
            "f/p": {
                "percentage": 0,
                "deductible": "0.00",
                "base_estimate": "0.00",
                "ins_estimate": "0.00",
                "notes": ["not_covered"],
            },
            "f": {"patient_portion": "100.00"},
        },
    ),
    case(
        "s2-tie-between-equal-rows-takes-the-lower-percent",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[
                pct(
                    cov=[
                        {"scope": "code:D2740", "percent": 80},
                        {"scope": "code:D2740", "percent": 50},
                        {"scope": "code:D2740", "percent": 60},
                    ]
                )
            ],
        ),
        {"c/p": {"percentage": 50, "ins_estimate": "500.00"}},
    ),
    case(
        "s2-tie-between-two-code-groups",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[
                pct(
                    cov=[
                        {"scope": "code_group:D2740,D2750", "percent": 40},
                        {"scope": "code_group:D2790,D2740", "percent": 70},
                    ]
                )
            ],
        ),
        {"c/p": {"percentage": 40}},
    ),
    case(
        # contract 3.4: the higher order is the more specific, whatever the spans' width.
        "s2-custom-table-order-decides-not-span-width",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[pct(cov={"category:wide": 80, "category:narrow": 50})],
            categories=[
                {"name": "narrow", "order": 1, "spans": [["D2700", "D2799"]]},
                {"name": "wide", "order": 5, "spans": [["D2000", "D2999"]]},
            ],
        ),
        {"c/p": {"percentage": 80, "ins_estimate": "800.00"}},
    ),
    case(
        "s2-custom-table-replaces-the-standard-one",
        scenario(
            proc("c", "D2740", "1000.00"),
            proc("f", "D2391", "100.00"),
            plans=[pct(cov={"category:crowns": 50, "general": 20})],
            categories=[{"name": "crowns", "order": 3, "spans": [["D2700", "D2799"]]}],
            mode="single_procedure",
        ),
        {"c/p": {"percentage": 50}, "f/p": {"percentage": 20}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), CATEGORY_CASES)
def test_categories_and_scopes(doc, expect):
    check(run(doc), expect)


# Section 5 / contract 3.9: the charged fee of a line without `fee` --------------------------


def charged(plans, office="1000.00", code="D2740", settings=None, **line):
    extra = {"office_fees": {code: office}}
    if settings:
        extra["settings"] = settings
    return scenario(proc("x", code, **line), plans=plans, **extra)


EXCLUDED_PPO = {"allowed": {"D2740": "1100.00"}, "cov": {"general": 50}, "excl": ["code:D2740"]}

CHARGED_FEE_CASES = [
    case(
        "s5-no-plans-office-fee",
        charged([]),
        {
            "x": {
                "fee": "1000.00",
                "ins_total": "0.00",
                "writeoff_total": "0.00",
                "patient_portion": "1000.00",
            },
            "estimates": 0,
        },
    ),
    case(
        "s5-ppo-primary-ppo-fee-higher",
        charged([ppo(allowed={"D2740": "1100.00"}, cov={"general": 50})]),
        {
            "x": {"fee": "1100.00", "patient_portion": "550.00"},
            "x/p": {"allowed": "1100.00", "ins_estimate": "550.00", "writeoff": "0.00"},
        },
    ),
    case(
        "s5-ppo-primary-office-fee-higher",
        charged([ppo(allowed={"D2740": "900.00"}, cov={"general": 50})]),
        # 1000 - 450 - write-off (1000 - 900)
        {"x": {"fee": "1000.00", "patient_portion": "450.00"}, "x/p": {"writeoff": "100.00"}},
    ),
    case(
        "s5-ppo-primary-blank-ppo-fee-office-fee",
        charged([ppo(allowed={"D2750": "900.00"}, cov={"general": 50})]),
        {"x": {"fee": "1000.00"}, "x/p": {"allowed": "1000.00", "writeoff": "0.00"}},
    ),
    case(
        "s5-fixed-benefit-ppo-primary-ppo-fee-higher",
        charged(
            [
                plan(
                    "ppo_fixed_benefit",
                    allowed={"D2740": "1100.00"},
                    fixed_benefit={"D2740": "500.00"},
                )
            ]
        ),
        # copay 1100 - 500 = 600, insurance 500, write-off 1100 - 1100 = 0
        {
            "x": {"fee": "1100.00", "patient_portion": "600.00"},
            "x/p": {"copay": "600.00", "ins_estimate": "500.00", "writeoff": "0.00"},
        },
    ),
    case(
        "s5-flat-copay-primary-its-own-fee-even-if-lower",
        charged([plan("flat_copay", allowed={"D2740": "300.00"})]),
        {
            "x": {"fee": "300.00", "patient_portion": "0.00"},
            "x/p": {"ins_estimate": "300.00", "writeoff": None},
        },
    ),
    case(
        "s5-flat-copay-primary-blank-office-fee",
        charged([plan("flat_copay", allowed={"D2750": "300.00"})]),
        {"x": {"fee": "1000.00"}, "x/p": {"allowed": "1000.00", "ins_estimate": "1000.00"}},
    ),
    case(
        "s5-percentage-primary-plan-fee",
        charged([pct(plan_fees={"D2740": "950.00"}, cov={"general": 50})]),
        {"x": {"fee": "950.00", "patient_portion": "475.00"}, "x/p": {"ins_estimate": "475.00"}},
    ),
    case(
        "s5-percentage-primary-plan-fee-blank-office-fee",
        charged([pct(plan_fees={"D2750": "950.00", "D2740": None}, cov={"general": 50})]),
        {"x": {"fee": "1000.00"}},
    ),
    case(
        "s5-percentage-primary-without-plan-fees-office-fee",
        charged([pct(cov={"general": 50})]),
        {"x": {"fee": "1000.00"}},
    ),
    case(
        "s5-capitation-primary-plan-fee",
        charged([plan("capitation", plan_fees={"D2740": "700.00"})]),
        {"x": {"fee": "700.00", "patient_portion": "0.00"}, "x/p": {"writeoff": "700.00"}},
    ),
    case(
        "s5-office-fee-for-exclusions-excluded-ppo-primary",
        charged([ppo(**EXCLUDED_PPO)], settings={"office_fee_for_exclusions": True}),
        {
            "x": {"fee": "1000.00", "patient_portion": "1000.00"},
            "x/p": {"ins_estimate": "0.00", "writeoff": "0.00", "notes": ["excluded"]},
        },
    ),
    case(
        "s5-office-fee-for-exclusions-zero-percent-ppo-primary",
        charged(
            [ppo(allowed={"D2740": "1100.00"}, cov={"general": 50, "category:crowns": 0})],
            settings={"office_fee_for_exclusions": True},
        ),
        {
            "x": {"fee": "1000.00", "patient_portion": "1000.00"},
            "x/p": {"writeoff": "0.00", "notes": ["not_covered"]},
        },
    ),
    case(
        "s5-office-fee-for-exclusions-off-ppo-fee-still-charged",
        charged([ppo(**EXCLUDED_PPO)]),
        {"x": {"fee": "1100.00"}},
    ),
    case(
        "s5-office-fee-for-exclusions-plan-false-beats-setting",
        charged(
            [ppo(**EXCLUDED_PPO, office_fee_for_exclusions=False)],
            settings={"office_fee_for_exclusions": True},
        ),
        {"x": {"fee": "1100.00"}},
    ),
    case(
        "s5-office-fee-for-exclusions-plan-true-beats-setting",
        charged(
            [ppo(**EXCLUDED_PPO, office_fee_for_exclusions=True)],
            settings={"office_fee_for_exclusions": False},
        ),
        {"x": {"fee": "1000.00"}},
    ),
    case(
        "s5-office-fee-for-exclusions-plan-null-follows-setting",
        charged(
            [ppo(**EXCLUDED_PPO, office_fee_for_exclusions=None)],
            settings={"office_fee_for_exclusions": True},
        ),
        {"x": {"fee": "1000.00"}},
    ),
    case(
        "s5-office-fee-for-exclusions-percentage-primary",
        charged(
            [pct(plan_fees={"D2740": "950.00"}, excl=["category:crowns"])],
            settings={"office_fee_for_exclusions": True},
        ),
        {"x": {"fee": "1000.00", "patient_portion": "1000.00"}, "x/p": {"writeoff": None}},
    ),
    case(
        "s5-only-the-primary-plan-decides",
        charged(
            [
                pct("a", cov={"general": 50}),
                ppo("b", 2, allowed={"D2740": "1100.00"}, cov={"general": 50}),
            ]
        ),
        {"x": {"fee": "1000.00"}},
    ),
    case(
        "s5-charged-fee-per-unit-times-units",
        charged(
            [ppo(allowed={"D4341": "250.00"}, cov={"general": 80})],
            office="200.00",
            code="D4341",
            units=2,
        ),
        # unit fee max(200, 250) = 250, x 2 = 500; allowed 500; 80% = 400
        {
            "x": {"fee": "500.00", "patient_portion": "100.00"},
            "x/p": {"allowed": "500.00", "ins_estimate": "400.00", "writeoff": "0.00"},
        },
    ),
    case(
        "s5-given-fee-wins-over-office-fee",
        charged([ppo(allowed={"D2740": "1100.00"}, cov={"general": 50})], fee="1200.00"),
        {"x": {"fee": "1200.00"}, "x/p": {"writeoff": "100.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), CHARGED_FEE_CASES)
def test_charged_fee(doc, expect):
    check(run(doc), expect)


# Section 7: the allowed amount; blank is not zero -----------------------------------------


ALLOWED_CASES = [
    case(
        "s7-ppo-allowed-at-most-the-fee",
        crown(ppo(allowed={"D2740": "1200.00"}, cov=HALF)),
        {"c/p": {"allowed": "1000.00", "ins_estimate": "500.00", "writeoff": "0.00"}},
    ),
    case(
        "s7-blank-ppo-fee-allows-the-fee-no-writeoff",
        crown(ppo(allowed={"D2750": "800.00"}, cov=HALF)),
        {
            "c/p": {"allowed": "1000.00", "ins_estimate": "500.00", "writeoff": "0.00"},
            "c": {"patient_portion": "500.00"},
        },
    ),
    case(
        "s7-null-ppo-fee-is-blank",
        crown(ppo(allowed={"D2740": None}, cov=HALF)),
        {"c/p": {"allowed": "1000.00", "writeoff": "0.00"}},
    ),
    case(
        "s7-ppo-without-allowed-schedule-is-blank",
        crown(ppo(cov=HALF)),
        {"c/p": {"allowed": "1000.00", "ins_estimate": "500.00", "writeoff": "0.00"}},
    ),
    case(
        "s7-zero-ppo-fee-allows-nothing-writes-off-everything",
        crown(ppo(allowed={"D2740": "0.00"}, cov=HALF)),
        {
            "c/p": {
                "allowed": "0.00",
                "base_estimate": "0.00",
                "ins_estimate": "0.00",
                "writeoff": "1000.00",
                "notes": [],
            },
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s7-percentage-out-of-network-allowed",
        crown(pct(allowed={"D2740": "800.00"}, cov=HALF)),
        {
            "c/p": {"allowed": "800.00", "ins_estimate": "400.00", "writeoff": None},
            "c": {"patient_portion": "600.00"},
        },
    ),
    case(
        "s7-percentage-without-allowed-schedule-is-the-fee",
        crown(pct(cov=HALF)),
        {"c/p": {"allowed": "1000.00", "ins_estimate": "500.00", "writeoff": None}},
    ),
    case(
        "s7-flat-copay-pays-its-fee",
        crown(plan("flat_copay", allowed={"D2740": "400.00"})),
        {
            "c/p": {
                "allowed": "400.00",
                "percentage": 100,
                "ins_estimate": "400.00",
                "writeoff": None,
            },
            "c": {"patient_portion": "600.00"},
        },
    ),
    case(
        "s7-blank-allowed-is-zero-off-ppo",
        crown(ppo(allowed={}, cov=HALF), settings={"blank_allowed_is_zero": False}),
        {"c/p": {"allowed": "1000.00", "ins_estimate": "500.00"}},
    ),
    case(
        "s7-blank-allowed-is-zero-on-ppo",
        crown(ppo(allowed={"D2750": "800.00"}, cov=HALF), settings={"blank_allowed_is_zero": True}),
        # allowed $0: insurance pays nothing, no write-off
        {
            "c/p": {"allowed": "0.00", "ins_estimate": "0.00", "writeoff": "0.00"},
            "c": {"patient_portion": "1000.00"},
        },
    ),
    case(
        "s7-blank-allowed-is-zero-on-flat-copay",
        crown(
            plan("flat_copay", allowed={"D2750": "400.00"}),
            settings={"blank_allowed_is_zero": True},
        ),
        {"c/p": {"allowed": "0.00", "ins_estimate": "0.00", "writeoff": None}},
    ),
    case(
        "s7-blank-allowed-is-zero-on-leaves-zero-on-file-and-amounts-alone",
        crown(ppo(allowed={"D2740": "800.00"}, cov=HALF), settings={"blank_allowed_is_zero": True}),
        {"c/p": {"allowed": "800.00", "ins_estimate": "400.00", "writeoff": "200.00"}},
    ),
    case(
        # ambiguous: contract 3.5 says a code with no allowed amount on file is allowed $0;
        # a percentage plan without an allowed schedule has no allowed amounts "on file" at
        # all (section 23: "else the fee"). The engine leaves such a plan on the fee.
        "s7-blank-allowed-is-zero-percentage-plan-without-schedule-ambiguous",
        crown(pct(cov=HALF), settings={"blank_allowed_is_zero": True}),
        {"c/p": {"allowed": "1000.00", "ins_estimate": "500.00"}},
    ),
    case(
        "s7-blank-allowed-is-zero-percentage-plan-with-schedule",
        crown(pct(allowed={"D2750": "500.00"}, cov=HALF), settings={"blank_allowed_is_zero": True}),
        {"c/p": {"allowed": "0.00", "ins_estimate": "0.00", "writeoff": None}},
    ),
    case(
        "s7-allowed-times-units",
        scenario(
            proc("x", "D4341", "250.00", units=3),
            plans=[ppo(allowed={"D4341": "200.00"}, cov={"category:periodontics": 80})],
        ),
        # fee 750, allowed 600, 80% = 480, write-off 750 - 600 = 150
        {
            "x": {"fee": "750.00", "patient_portion": "120.00"},
            "x/p": {"allowed": "600.00", "ins_estimate": "480.00", "writeoff": "150.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), ALLOWED_CASES)
def test_allowed_amount(doc, expect):
    check(run(doc), expect)


# Section 12: the coverage percentage and banker's rounding ---------------------------------


def filling(fee, *plans, **line):
    return scenario(proc("f", "D2391", fee, **line), plans=list(plans))


PERCENTAGE_CASES = [
    case(
        "s12-half-to-even-down",
        filling("100.25", pct(cov=HALF)),  # 50.125 -> 50.12
        {"f/p": paid_out("50.12"), "f": {"patient_portion": "50.13"}},
    ),
    case(
        "s12-half-to-even-up",
        filling("100.35", pct(cov=HALF)),  # 50.175 -> 50.18
        {"f/p": paid_out("50.18"), "f": {"patient_portion": "50.17"}},
    ),
    case(
        "s12-half-to-even-0.135",
        filling("0.27", pct(cov=HALF)),  # 0.135 -> 0.14
        {"f/p": paid_out("0.14")},
    ),
    case(
        "s12-half-to-even-0.125",
        filling("0.25", pct(cov=HALF)),  # 0.125 -> 0.12
        {"f/p": paid_out("0.12")},
    ),
    case(
        "s12-base-and-estimate-each-rounded",
        filling("150.25", pct(cov=HALF, ded={"general": "50.00"})),
        # base 150.25 x 50% = 75.125 -> 75.12; estimate 100.25 x 50% = 50.125 -> 50.12
        {
            "f/p": {"deductible": "50.00", "base_estimate": "75.12", "ins_estimate": "50.12"},
            "f": {"patient_portion": "100.13"},
        },
    ),
    case(
        "s12-odd-percentage",
        filling("33.33", pct(cov={"general": 33})),  # 10.9989 -> 11.00
        {"f/p": paid_out("11.00")},
    ),
    case(
        "s12-short-money-input",
        filling("87.5", pct(cov={"general": 100})),
        {"f": {"fee": "87.50", "patient_portion": "0.00"}, "f/p": paid_out("87.50")},
    ),
    case(
        "s12-flat-copay-is-100-percent-whatever-the-rows",
        filling("100.00", plan("flat_copay", allowed={"D2391": "80.00"}, cov=HALF)),
        {"f/p": {"percentage": 100, "ins_estimate": "80.00"}},
    ),
    case(
        "s12-percentage-override-replaces",
        crown(pct(cov=HALF), overrides={"p": {"percentage": 80}}),
        {"c/p": {"percentage": 80, "base_estimate": "800.00", "ins_estimate": "800.00"}},
    ),
    case(
        "s12-percentage-override-null-is-no-override",
        crown(pct(cov=HALF), overrides={"p": {"percentage": None, "ins_estimate": None}}),
        {"c/p": {"percentage": 50, "ins_estimate": "500.00"}},
    ),
    case(
        # The "0% means no deductible" test uses the plan's own percentage.
        "s12-override-on-a-zero-percent-code-takes-no-deductible",
        crown(
            pct(cov={"category:preventive": 100}, ded={"general": "50.00"}),
            overrides={"p": {"percentage": 80}},
        ),
        {"c/p": {"percentage": 80, "deductible": "0.00", "ins_estimate": "800.00", "notes": []}},
    ),
    case(
        "s12-override-to-zero-keeps-the-deductible",
        scenario(
            proc("c", "D2740", "1000.00", overrides={"p": {"percentage": 0}}),
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=HALF, ded={"general": "50.00"})],
        ),
        {
            "c/p": {
                "percentage": 0,
                "deductible": "50.00",
                "base_estimate": "0.00",
                "ins_estimate": "0.00",
                "notes": ["not_covered"],
            },
            "f/p": {"deductible": "0.00", "ins_estimate": "50.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), PERCENTAGE_CASES)
def test_percentage_and_rounding(doc, expect):
    check(run(doc), expect)
