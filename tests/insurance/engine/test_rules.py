"""The estimate as a whole: rules document sections 3 (order of operations), 4 (line order,
pending usage, the three modes) and 20 (overrides); contract 3.2.

The other sections: test_rules_fees.py (2, 5, 7, 12), test_rules_downgrades.py (6),
test_rules_copays.py (8, 9), test_rules_deductibles.py (10, 11), test_rules_limits.py (15, 16,
19), test_rules_frequency.py (18), test_rules_cob.py (13, 14, 21), test_rules_writeoffs.py
(17, 22), test_rules_naive.py (24) and test_rules_output.py (25, 26, contract 3.5 and 4).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    ALL,
    CROWN_PPO,
    HALF,
    case,
    check,
    crown,
    elsewhere,
    freq_row,
    paid,
    paid_out,
    pct,
    ppo,
    proc,
    run,
    scenario,
)

# Section 3: the order of operations ----------------------------------------------------------

ORDER_OF_OPERATIONS_CASES = [
    case(
        # Notes come in the order the rules add them: exclusion (8), age limit (9), frequency
        # (11), waiting period (12), then the missing-tooth warning.
        "s3-notes-in-rule-order",
        scenario(
            proc("implant", "D6010", "2000.00"),
            plans=[
                pct(
                    cov=HALF,
                    excl=["code:D6010"],
                    age={"code:D6010": 30},
                    freq=[freq_row("code:D6010", "years:5")],
                    wait={"category:implants": 12},
                    effective_date="2025-01-01",
                    missing_tooth_clause=True,
                )
            ],
            history=[elsewhere("D6010", "2023-01-10")],
        ),
        {
            "implant/p": {
                "ins_estimate": "0.00",
                "notes": [
                    "excluded",
                    "age_limit",
                    "frequency_limit",
                    "waiting_period",
                    "missing_tooth_clause",
                ],
            }
        },
    ),
    case(
        "s3-deductible-from-allowed-minus-copay-before-percentage",
        crown(ppo(**CROWN_PPO, copay={"D2740": "100.00"}, ded={"general": "50.00"})),
        # (800 - 100 - 50) x 50% = 325
        {"c/p": {"base_estimate": "350.00", "ins_estimate": "325.00"}},
    ),
    case(
        # The override is the last step: it replaces even a frequency denial's 0.
        "s3-override-after-frequency",
        crown(
            pct(cov=HALF, freq=[freq_row("code:D2740", "years:5")]),
            history=[elsewhere("D2740", "2023-01-10")],
            overrides={"p": {"ins_estimate": "100.00"}},
        ),
        {"c/p": {"base_estimate": "0.00", "ins_estimate": "100.00", "notes": ["frequency_limit"]}},
    ),
    case(
        "s3-after-all-plans-the-primary-writeoff-is-trimmed",
        crown(
            ppo("a", 1, allowed={"D2740": "600.00"}, cov=HALF),
            pct("b", 2, cov={"general": 70}, cob_rule="carve_out"),
        ),
        # a: 300, write-off 400. b: 700 - 300 = 400. 700 + 400 > 1000 -> a's write-off 300
        {
            "c/a": {"writeoff": "300.00"},
            "c/b": {"ins_estimate": "400.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), ORDER_OF_OPERATIONS_CASES)
def test_order_of_operations(doc, expect):
    check(run(doc), expect)


# Section 4 / contract 3.2: line order and pending usage ---------------------------------------

SORT_LINES = [
    proc("l1", "D2391", "10.00", tooth="3"),
    proc("l2", "D2391", "10.00", tooth="30", priority=2),
    proc("l3", "D2391", "10.00", tooth="14", priority=1),
    proc("l6", "D2391", "10.00", tooth="3", priority=1, date="2025-07-01"),
    proc("l4", "D2391", "10.00", priority=1),
    proc("l5", "D2391", "10.00", tooth="A", priority=1),  # position 4
    proc("l7", "D2391", "10.00", tooth="3", priority=1),
    proc("l8", "D2391", "10.00", tooth="3", priority=1),
    proc("l9", "D2391", "10.00", tooth_range="2-4", priority=1),  # no tooth
    proc("l10", "D2391", "10.00", priority=10),
]
PRIMARY_TEETH_LINES = [
    proc(f"t{tooth}", "D2391", "10.00", tooth=tooth)
    for tooth in ("30", "T", "28", "K", "19", "14", "J", "12", "E", "8")
]
MAX_800 = pct(cov=HALF, max={"general": "800.00"})

LINE_ORDER_CASES = [
    case(
        # priority first (numerically), then no tooth before teeth, then tooth position,
        # then date of service, then as entered; lines without priority last
        "s4-treatment-plan-sort-priority-tooth-date-input",
        scenario(*SORT_LINES, mode="treatment_plan"),
        {"order": ["l4", "l9", "l7", "l8", "l6", "l5", "l3", "l2", "l10", "l1"]},
    ),
    case(
        # A-J = 4-13, K-T = 20-29; E and 8 share position 8: as entered
        "s4-treatment-plan-primary-teeth-take-their-successors-position",
        scenario(*PRIMARY_TEETH_LINES, mode="treatment_plan"),
        {"order": ["tE", "t8", "t12", "tJ", "t14", "t19", "tK", "t28", "tT", "t30"]},
    ),
    case(
        "s4-treatment-plan-date-orders-lines-without-tooth",
        scenario(
            proc("late", "D0150", "10.00", date="2025-08-01"),
            proc("early", "D0150", "10.00", date="2025-07-01"),
            mode="treatment_plan",
        ),
        {"order": ["early", "late"]},
    ),
    case(
        "s4-in-order-keeps-the-given-order",
        scenario(*SORT_LINES, mode="in_order"),
        {"order": [line["ref"] for line in SORT_LINES]},
    ),
    case(
        # ambiguous: contract 3.2 does not say in which order single_procedure lines are
        # output; they never see each other, and the engine keeps the given order.
        "s4-single-procedure-keeps-the-given-order-ambiguous",
        scenario(*SORT_LINES, mode="single_procedure"),
        {"order": [line["ref"] for line in SORT_LINES]},
    ),
    case(
        "s4-treatment-plan-order-decides-who-uses-the-maximum",
        scenario(
            proc("second", "D2740", "1000.00", priority=2),
            proc("first", "D2750", "1000.00", priority=1),
            plans=[MAX_800],
            mode="treatment_plan",
        ),
        {
            "order": ["first", "second"],
            "first/p": paid_out("500.00", notes=[]),
            "second/p": {
                "base_estimate": "500.00",
                "ins_estimate": "300.00",
                "notes": ["over_annual_max"],
            },
        },
    ),
    case(
        "s4-in-order-accumulates-in-the-given-order",
        scenario(
            proc("second", "D2740", "1000.00", priority=2),
            proc("first", "D2750", "1000.00", priority=1),
            plans=[MAX_800],
            mode="in_order",
        ),
        {"order": ["second", "first"], "first/p": {"ins_estimate": "300.00"}},
    ),
    case(
        "s4-single-procedure-lines-never-see-each-other",
        scenario(
            proc("a", "D2740", "1000.00"),
            proc("b", "D2750", "1000.00"),
            plans=[pct(cov=HALF, ded={"general": "50.00"}, max={"general": "800.00"})],
            mode="single_procedure",
        ),
        # each alone: deductible 50, (1000 - 50) x 50% = 475, fits the 800
        {
            "a/p": {"deductible": "50.00", "ins_estimate": "475.00", "notes": []},
            "b/p": {"deductible": "50.00", "ins_estimate": "475.00", "notes": []},
        },
    ),
    case(
        "s4-single-procedure-sees-the-history",
        scenario(
            proc("a", "D2740", "1000.00"),
            plans=[pct(cov=HALF, ded={"general": "50.00"}, max={"general": "800.00"})],
            history=[paid("D2391", "2025-02-01", "600.00", deductible="50.00")],
            mode="single_procedure",
        ),
        {"a/p": {"deductible": "0.00", "ins_estimate": "200.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s4-benefit-year-usage-only-within-the-same-year",
        scenario(
            proc("now", "D2740", "1000.00", priority=1),
            proc("next", "D2750", "1000.00", priority=2, date="2026-02-01"),
            plans=[pct(cov=HALF, ded={"general": "50.00"}, max={"general": "600.00"})],
            mode="treatment_plan",
        ),
        # now: 475; next (new year): deductible 50 again, 475 against a fresh 600
        {
            "now/p": {"deductible": "50.00", "ins_estimate": "475.00"},
            "next/p": {"deductible": "50.00", "ins_estimate": "475.00", "notes": []},
        },
    ),
    case(
        "s4-lifetime-usage-counts-across-years",
        scenario(
            proc("start", "D8080", "2000.00"),
            proc("later", "D8670", "2000.00", date="2026-06-15"),
            plans=[
                pct(
                    cov={"category:orthodontics": 50},
                    max=[
                        {
                            "scope": "category:orthodontics",
                            "amount": "1500.00",
                            "period": "lifetime",
                        }
                    ],
                )
            ],
        ),
        {
            "start/p": paid_out("1000.00", notes=[]),
            "later/p": {"ins_estimate": "500.00", "notes": ["over_lifetime_max"]},
        },
    ),
    case(
        "s4-line-paid-nothing-by-used-up-maximum-still-applies-deductible",
        scenario(
            proc("a", "D2391", "200.00"),
            proc("b", "D2392", "200.00"),
            plans=[pct(cov=HALF, ded={"general": "50.00"}, max={"general": "1000.00"})],
            history=[paid("D2740", "2025-02-01", "1000.00")],
        ),
        {
            "a/p": {"deductible": "50.00", "ins_estimate": "0.00", "notes": ["over_annual_max"]},
            "b/p": {"deductible": "0.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), LINE_ORDER_CASES)
def test_line_order_and_pending_usage(doc, expect):
    check(run(doc), expect)


# Section 20: overrides -------------------------------------------------------------------------

MAX_LEFT_200 = [paid("D2391", "2025-02-01", "800.00")]

OVERRIDE_CASES = [
    case(
        "s20-ins-estimate-replaces-the-estimate-not-the-base",
        crown(ppo(**CROWN_PPO), overrides={"p": {"ins_estimate": "300.00"}}),
        {
            "c/p": {"base_estimate": "400.00", "ins_estimate": "300.00", "writeoff": "200.00"},
            "c": {"ins_total": "300.00", "patient_portion": "500.00"},
        },
    ),
    case(
        "s20-later-plans-coordinate-with-the-override",
        crown(
            ppo("a", 1, **CROWN_PPO),
            pct("b", 2, cov=HALF),
            overrides={"a": {"ins_estimate": "300.00"}},
        ),
        # b: min(500, 1000 - 300 - 200) = 500 (400 with the computed estimate)
        {"c/b": {"ins_estimate": "500.00"}, "c": {"patient_portion": "0.00"}},
    ),
    case(
        "s20-override-for-one-plan-only",
        crown(
            ppo("a", 1, **CROWN_PPO),
            pct("b", 2, cov=HALF),
            overrides={"b": {"ins_estimate": "50.00"}},
        ),
        {
            "c/a": {"ins_estimate": "400.00"},
            "c/b": {"base_estimate": "400.00", "ins_estimate": "50.00"},
        },
    ),
    case(
        "s20-later-lines-count-the-override-as-used",
        scenario(
            proc("a", "D2740", "1000.00", overrides={"p": {"ins_estimate": "700.00"}}),
            proc("b", "D2750", "1000.00"),
            plans=[pct(cov=HALF, max={"general": "1000.00"})],
        ),
        {
            "a/p": {"ins_estimate": "700.00", "notes": []},
            "b/p": {"ins_estimate": "300.00", "notes": ["over_annual_max"]},
        },
    ),
    case(
        "s20-maximum-note-when-the-override-exceeds-what-is-left",
        crown(
            pct(cov=HALF, max={"general": "1000.00"}),
            history=MAX_LEFT_200,
            overrides={"p": {"ins_estimate": "300.00"}},
        ),
        {"c/p": {"ins_estimate": "300.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s20-no-maximum-note-when-the-override-fits",
        crown(
            pct(cov=HALF, max={"general": "1000.00"}),
            history=MAX_LEFT_200,
            overrides={"p": {"ins_estimate": "150.00"}},
        ),
        # the computed 500 would have been cut to 200 with a note
        {"c/p": {"ins_estimate": "150.00", "notes": []}},
    ),
    case(
        "s20-maximum-note-even-though-the-computed-amount-fits",
        crown(
            pct(cov={"general": 40}, max={"general": "1000.00"}),
            history=[paid("D2391", "2025-02-01", "500.00")],
            overrides={"p": {"ins_estimate": "600.00"}},
        ),
        # computed 400 fits the 500 left; the override 600 does not
        {"c/p": {"ins_estimate": "600.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s20-family-maximum-note-judged-against-the-override",
        crown(
            pct(cov=HALF, max=[{"scope": "general", "amount": "1000.00", "level": "family"}]),
            history=[paid("D2391", "2025-02-01", "800.00", member="kid")],
            family=["kid"],
            overrides={"p": {"ins_estimate": "250.00"}},
        ),
        {"c/p": {"ins_estimate": "250.00", "notes": ["over_family_annual_max"]}},
    ),
    case(
        "s20-writeoff-still-from-the-computed-estimate",
        crown(
            ppo(**CROWN_PPO, max={"general": "1000.00"}),
            history=[paid("D2391", "2025-02-01", "1000.00")],
            settings={"zero_writeoff_when_max_reached": True},
            overrides={"p": {"ins_estimate": "100.00"}},
        ),
        # the computed estimate is 0 (maximum used up): write-off zeroed by the setting
        {
            "c/p": {"ins_estimate": "100.00", "writeoff": "0.00", "notes": ["over_annual_max"]},
            "c": {"patient_portion": "900.00"},
        },
    ),
    case(
        "s20-zero-override-does-not-use-a-frequency-limit",
        scenario(
            proc("a", "D1110", "100.00", overrides={"p": {"ins_estimate": "0.00"}}),
            proc("b", "D1110", "100.00"),
            plans=[pct(cov=ALL, freq=[freq_row("code:D1110", "calendar_year")])],
        ),
        # the plan pays nothing for a (by override), so a does not use the limit
        {"a/p": {"ins_estimate": "0.00"}, "b/p": paid_out("100.00", notes=[])},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), OVERRIDE_CASES)
def test_overrides(doc, expect):
    check(run(doc), expect)
