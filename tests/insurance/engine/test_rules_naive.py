"""Rules document section 24: each of the 18 things a naive implementation gets wrong, one
row or more per point (ids s24-NN-...).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    ALL,
    CROWN_PPO,
    DENIED_FREQ,
    HALF,
    case,
    check,
    crown,
    elsewhere,
    freq_row,
    paid,
    paid_out,
    pct,
    pending,
    ppo,
    proc,
    run,
    scenario,
    used,
)

MAX_800 = pct(cov=HALF, max={"general": "800.00"})


# Section 24: what a naive implementation gets wrong (one row or more per point) --------------

FREQ_HISTORY = [
    paid("D1110", "2025-01-10", "50.00", service="v1"),
    paid("D1110", "2025-01-10", "30.00", service="v1"),  # same service: counts once
    paid("D1110", "2025-03-10", "0.00"),  # $0 paid: does not count
    elsewhere("D1110", "2024-09-01"),  # done elsewhere: counts
    elsewhere("D1110", "2024-06-15"),  # exactly 12 months ago: does not count
    pending("D1110", "2025-05-01", "80.00"),  # pending: counts
]  # 3 services in the last 12 months


def cleaning_limited(count):
    return scenario(
        proc("x", "D1110", "100.00"),
        plans=[pct(cov=ALL, freq=[freq_row("code:D1110", "last_12_months", count=count)])],
        history=FREQ_HISTORY,
    )


DG = {"allowed": {"D2392": "140.00", "D2150": "95.00"}, "cov": ALL}
DG_RULE = {"code": "D2392", "to": "D2150", "when": "posterior"}
COMPOSITE_30 = proc("x", "D2392", "230.00", tooth="30")

NAIVE_CASES = [
    case(
        "s24-01-deductible-off-allowed-before-percentage",
        crown(ppo(**CROWN_PPO, ded={"general": "50.00"})),
        # (800 - 50) x 50% = 375, not 800 x 50% - 50 = 350
        {"c/p": {"ins_estimate": "375.00"}},
    ),
    case(
        "s24-02-no-deductible-on-excluded-or-zero-percent-never-above-allowed",
        scenario(
            proc("excl", "D2740", "1000.00"),
            proc("zero", "D7140", "200.00"),
            proc("small", "D1110", "80.00"),
            plans=[
                ppo(
                    allowed={"D2740": "800.00", "D7140": "150.00", "D1110": "30.00"},
                    cov={"category:restorative": 80, "category:preventive": 100},
                    ded={"general": "50.00"},
                    excl=["code:D2740"],
                )
            ],
        ),
        {
            "excl/p": {"deductible": "0.00"},
            "zero/p": {"deductible": "0.00"},
            "small/p": {"deductible": "30.00", "ins_estimate": "0.00"},
        },
    ),
    case(
        "s24-03-two-buckets-smaller-remainder-met-entries-family-cap-zero-waives",
        scenario(
            proc("pano", "D0330", "60.00"),
            proc("clean", "D1110", "100.00"),
            proc("exam", "D0150", "100.00"),
            plans=[
                pct(
                    cov=ALL,
                    ded=[
                        {"scope": "general", "amount": "100.00"},
                        {"scope": "category:diagnostic_xray", "amount": "20.00"},
                        {"scope": "category:preventive", "amount": "0.00"},
                        {"scope": "general", "amount": "250.00", "level": "family"},
                    ],
                )
            ],
            history=[
                used("2025-01-05", deductible="90.00"),
                paid("D2391", "2025-02-01", "10.00", deductible="155.00", member="kid"),
            ],
            family=["kid"],
        ),
        # general left 10, X-ray left 20 -> 10; family left 250 - 90 - 155 = 5 -> 5.
        # clean: waived. exam: general left 5, family left 0 -> 0.
        {
            "pano/p": {"deductible": "5.00"},
            "clean/p": {"deductible": "0.00"},
            "exam/p": {"deductible": "0.00"},
        },
    ),
    case(
        "s24-04-earlier-lines-consume-treatment-plan",
        scenario(
            proc("a", "D2740", "1000.00"),
            proc("b", "D2750", "1000.00"),
            plans=[MAX_800],
            mode="treatment_plan",
        ),
        {"a/p": {"ins_estimate": "500.00"}, "b/p": {"ins_estimate": "300.00"}},
    ),
    case(
        "s24-04-earlier-lines-consume-single-procedure-over-promises",
        scenario(
            proc("a", "D2740", "1000.00"),
            proc("b", "D2750", "1000.00"),
            plans=[MAX_800],
            mode="single_procedure",
        ),
        {"a/p": {"ins_estimate": "500.00"}, "b/p": {"ins_estimate": "500.00"}},
    ),
    case(
        "s24-05-annual-maximum-not-for-orthodontics-nor-codes-with-their-own",
        scenario(
            proc("crown", "D2740", "1280.00"),
            proc("ortho", "D8080", "2000.00"),
            proc("implant", "D6010", "2000.00"),
            plans=[
                pct(
                    cov={"general": 50, "category:orthodontics": 50},
                    max=[
                        {"scope": "general", "amount": "1500.00"},
                        {"scope": "category:implants", "amount": "3000.00"},
                    ],
                )
            ],
            history=[
                paid("D2740", "2025-02-01", "800.00"),
                paid("D8080", "2025-02-01", "900.00"),
                paid("D6010", "2025-02-01", "900.00"),
            ],
            mode="single_procedure",
        ),
        # annual: 1500 - 800 = 700 left (ortho and implant payments do not count) -> 640 fits
        {
            "crown/p": paid_out("640.00", notes=[]),
            "ortho/p": paid_out("1000.00", notes=[]),
            "implant/p": paid_out("1000.00", notes=[]),
        },
    ),
    case(
        "s24-06-family-maximum-counts-everybody-without-individual-maximum",
        scenario(
            proc("crown", "D2740", "1280.00"),
            plans=[
                pct(cov=HALF, max=[{"scope": "general", "amount": "1000.00", "level": "family"}])
            ],
            history=[
                paid("D2391", "2025-02-01", "300.00"),
                paid("D2391", "2025-03-01", "400.00", member="kid"),
            ],
            family=["kid"],
        ),
        {"crown/p": {"ins_estimate": "300.00", "notes": ["over_family_annual_max"]}},
    ),
    case(
        "s24-07-writeoff-from-the-original-code",
        scenario(COMPOSITE_30, plans=[ppo(**DG, downgrades={"rules": [DG_RULE]})]),
        # insurance on D2150 (95), write-off 230 - 140 (D2392) = 90, not 230 - 95
        {"x/p": {"ins_estimate": "95.00", "writeoff": "90.00"}, "x": {"patient_portion": "45.00"}},
    ),
    case(
        "s24-07-no-writeoff-on-downgraded-lines-is-blank",
        scenario(
            COMPOSITE_30,
            plans=[ppo(**DG, downgrades={"writeoff_on_downgraded": False, "rules": [DG_RULE]})],
        ),
        {"x/p": {"writeoff": None}, "x": {"patient_portion": "135.00"}},
    ),
    case(
        "s24-08-downgrade-never-raises-the-allowed-amount",
        scenario(
            COMPOSITE_30,
            plans=[
                ppo(
                    allowed={"D2392": "140.00", "D2150": "160.00"},
                    cov=ALL,
                    downgrades={"rules": [DG_RULE]},
                )
            ],
        ),
        {"x/p": {"allowed": "140.00", "substituted_code": "D2150"}},
    ),
    case(
        "s24-08-blank-cheaper-fee-falls-back-to-the-original",
        scenario(
            COMPOSITE_30,
            plans=[ppo(allowed={"D2392": "140.00"}, cov=ALL, downgrades={"rules": [DG_RULE]})],
        ),
        {"x/p": {"allowed": "140.00", "writeoff": "90.00"}},
    ),
    case(
        "s24-09-blank-is-not-zero",
        scenario(
            proc("zero", "D2740", "1000.00"),
            proc("blank", "D2750", "1000.00"),
            plans=[ppo(allowed={"D2740": "0.00"}, cov=HALF)],
            mode="single_procedure",
        ),
        {
            "zero/p": {"allowed": "0.00", "ins_estimate": "0.00", "writeoff": "1000.00"},
            "blank/p": {"allowed": "1000.00", "ins_estimate": "500.00", "writeoff": "0.00"},
        },
    ),
    case(
        "s24-10-secondary-ppo-no-writeoff-and-primary-trimmed",
        crown(
            ppo("a", 1, allowed={"D2740": "600.00"}, cov=HALF),
            ppo("b", 2, allowed={"D2740": "800.00"}, cov=HALF, cob_rule="basic"),
        ),
        {
            "c/a": {"writeoff": "300.00"},
            "c/b": {"writeoff": "0.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s24-11-standard-caps-at-what-the-patient-owes",
        crown(ppo("a", 1, **CROWN_PPO), ppo("b", 2, allowed={"D2740": "600.00"}, cov=HALF)),
        {"c/b": {"ins_estimate": "300.00"}},
    ),
    case(
        "s24-11-basic-caps-at-own-allowed-minus-paid",
        crown(
            ppo("a", 1, **CROWN_PPO),
            ppo("b", 2, allowed={"D2740": "600.00"}, cov=HALF, cob_rule="basic"),
        ),
        {"c/b": {"ins_estimate": "200.00"}},
    ),
    case(
        "s24-12-charged-fee-ppo-primary-at-least-the-ppo-fee",
        scenario(
            proc("x", "D2740"),
            plans=[ppo(allowed={"D2740": "1100.00"}, cov=HALF)],
            office_fees={"D2740": "1000.00"},
        ),
        {"x": {"fee": "1100.00"}},
    ),
    case(
        "s24-12-charged-fee-other-primary-its-own-schedule",
        scenario(
            proc("x", "D2740"),
            plans=[pct(plan_fees={"D2740": "950.00"}, cov=HALF)],
            office_fees={"D2740": "1000.00"},
        ),
        {"x": {"fee": "950.00"}},
    ),
    case("s24-13-frequency-counts-services-met", cleaning_limited(3), {"x/p": DENIED_FREQ}),
    case(
        "s24-13-frequency-counts-services-not-met",
        cleaning_limited(4),
        {"x/p": paid_out("100.00", notes=[])},
    ),
    case(
        "s24-14-through-age-n-covers-age-n",
        scenario(
            proc("n", "D1351", "50.00"),
            plans=[pct(cov=ALL, age={"code:D1351": 14})],
            age=14,
        ),
        {"n/p": paid_out("50.00", notes=[])},
    ),
    case(
        "s24-14-through-age-n-not-n-plus-one",
        scenario(
            proc("n", "D1351", "50.00"),
            plans=[pct(cov=ALL, age={"code:D1351": 14})],
            age=15,
        ),
        {"n/p": {"ins_estimate": "0.00", "notes": ["age_limit"]}},
    ),
    case(
        "s24-15-writeoff-zeroed-by-maximum-with-setting",
        crown(
            ppo(**CROWN_PPO, max={"general": "500.00"}),
            history=[paid("D2391", "2025-02-01", "500.00")],
            settings={"zero_writeoff_when_max_reached": True},
        ),
        {"c/p": {"writeoff": "0.00"}},
    ),
    case(
        "s24-15-writeoff-kept-when-the-deductible-swallows-the-line",
        scenario(
            proc("x", "D2391", "100.00"),
            plans=[
                ppo(
                    allowed={"D2391": "40.00"},
                    cov=HALF,
                    ded={"general": "50.00"},
                    max={"general": "500.00"},
                )
            ],
            settings={"zero_writeoff_when_max_reached": True},
        ),
        {"x/p": {"ins_estimate": "0.00", "writeoff": "60.00"}},
    ),
    case(
        "s24-16-units-multiply-allowed-and-copay",
        scenario(
            proc("x", "D4341", "250.00", units=2),
            plans=[ppo(allowed={"D4341": "200.00"}, copay={"D4341": "40.00"}, cov=ALL)],
        ),
        # fee 500, allowed 400, copay 80, 320 paid, write-off 100
        {
            "x/p": {
                "allowed": "400.00",
                "copay": "80.00",
                "ins_estimate": "320.00",
                "writeoff": "100.00",
            },
            "x": {"fee": "500.00", "patient_portion": "80.00"},
        },
    ),
    case(
        "s24-17-decimal-half-to-even",
        scenario(
            proc("down", "D2391", "100.25"),
            proc("up", "D2391", "100.35"),
            plans=[pct(cov=HALF)],
            mode="single_procedure",
        ),
        {"down/p": {"ins_estimate": "50.12"}, "up/p": {"ins_estimate": "50.18"}},
    ),
    case(
        "s24-18-one-plans-usage-never-touches-another",
        scenario(
            proc("clean", "D1110", "100.00"),
            proc("fill", "D2391", "200.00"),
            plans=[
                pct(
                    "a",
                    1,
                    cov=HALF,
                    ded={"general": "50.00"},
                    max={"general": "1000.00"},
                    freq=[freq_row("code:D1110", "calendar_year")],
                ),
                pct(
                    "b",
                    2,
                    cov=HALF,
                    ded={"general": "50.00"},
                    max={"general": "1000.00"},
                    freq=[freq_row("code:D1110", "calendar_year")],
                ),
            ],
            history=[
                paid("D1110", "2025-01-05", "80.00", deductible="50.00", plan="b"),
                used("2025-01-05", amount="920.00", plan="b"),
            ],
            mode="single_procedure",
        ),
        # a sees none of b's usage: deductible 50, pays (100 - 50) x 50% = 25 and 75;
        # b: its limit is met for the cleaning, its maximum used up for the filling
        {
            "clean/a": {"deductible": "50.00", "ins_estimate": "25.00", "notes": []},
            "fill/a": {"deductible": "50.00", "ins_estimate": "75.00", "notes": []},
            "clean/b": {"ins_estimate": "0.00", "notes": ["over_annual_max", "frequency_limit"]},
            "fill/b": {"deductible": "0.00", "ins_estimate": "0.00", "notes": ["over_annual_max"]},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), NAIVE_CASES)
def test_what_a_naive_implementation_gets_wrong(doc, expect):
    check(run(doc), expect)
