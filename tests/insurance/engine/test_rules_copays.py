"""Copays, fixed benefits and capitation: rules document sections 8 and 9; contract 3.5
(blank_copay_is_zero, blank_fixed_benefit_is_zero) and 3.6 (plan types).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    HALF,
    case,
    check,
    crown,
    paid,
    pct,
    plan,
    ppo,
    proc,
    run,
    scenario,
)

# Section 8: copays and fixed benefits -------------------------------------------------------

PPO_800 = {"allowed": {"D2740": "800.00"}, "cov": HALF}


def fixed(fixed_benefit, allowed=None, **kw):
    return plan(
        "ppo_fixed_benefit",
        allowed={"D2740": "800.00"} if allowed is None else allowed,
        fixed_benefit=fixed_benefit,
        **kw,
    )


COPAY_CASES = [
    case(
        "s8-ppo-copay",
        crown(ppo(**PPO_800, copay={"D2740": "100.00"})),
        # (800 - 100) x 50% = 350; write-off 200; patient 1000 - 350 - 200
        {
            "c/p": {
                "copay": "100.00",
                "base_estimate": "350.00",
                "ins_estimate": "350.00",
                "writeoff": "200.00",
            },
            "c": {"patient_portion": "450.00"},
        },
    ),
    case(
        "s8-copay-then-deductible-then-percentage",
        crown(ppo(**PPO_800, copay={"D2740": "100.00"}, ded={"general": "50.00"})),
        # (800 - 100 - 50) x 50% = 325
        {"c/p": {"deductible": "50.00", "base_estimate": "350.00", "ins_estimate": "325.00"}},
    ),
    case(
        "s8-copay-at-most-the-allowed-amount",
        crown(ppo(**PPO_800, copay={"D2740": "900.00"})),
        {
            "c/p": {"copay": "800.00", "ins_estimate": "0.00", "writeoff": "200.00"},
            "c": {"patient_portion": "800.00"},
        },
    ),
    case(
        "s8-copay-times-units",
        scenario(
            proc("x", "D4341", "250.00", units=2),
            plans=[
                ppo(
                    allowed={"D4341": "200.00"},
                    copay={"D4341": "40.00"},
                    cov={"category:periodontics": 80},
                )
            ],
        ),
        # fee 500, allowed 400, copay 80, (400 - 80) x 80% = 256, write-off 100
        {
            "x/p": {
                "allowed": "400.00",
                "copay": "80.00",
                "ins_estimate": "256.00",
                "writeoff": "100.00",
            },
            "x": {"patient_portion": "144.00"},
        },
    ),
    case(
        "s8-blank-copay-no-copay",
        crown(ppo(**PPO_800, copay={"D2750": "50.00", "D2740": None})),
        {"c/p": {"copay": None, "ins_estimate": "400.00"}},
    ),
    case(
        "s8-zero-copay-on-file",
        crown(ppo(**PPO_800, copay={"D2740": "0.00"})),
        {"c/p": {"copay": "0.00", "ins_estimate": "400.00"}},
    ),
    case(
        "s8-blank-copay-is-zero-false-copay-is-the-plan-fee",
        crown(
            ppo(**PPO_800, copay={"D2750": "50.00"}),
            settings={"blank_copay_is_zero": False},
        ),
        {
            "c/p": {
                "copay": "800.00",
                "base_estimate": "0.00",
                "ins_estimate": "0.00",
                "writeoff": "200.00",
            },
            "c": {"patient_portion": "800.00"},
        },
    ),
    case(
        "s8-blank-copay-is-zero-false-copay-on-file-unchanged",
        crown(
            ppo(**PPO_800, copay={"D2740": "100.00"}),
            settings={"blank_copay_is_zero": False},
        ),
        {"c/p": {"copay": "100.00", "ins_estimate": "350.00"}},
    ),
    case(
        # ambiguous: contract 3.5 "a code with no copay on file"; read literally, a plan with
        # no copay schedule at all would pay nothing under blank_copay_is_zero=false. The
        # engine applies the setting only to plans that have a copay schedule.
        "s8-blank-copay-is-zero-false-plan-without-copay-schedule-ambiguous",
        crown(ppo(**PPO_800), settings={"blank_copay_is_zero": False}),
        {"c/p": {"copay": None, "ins_estimate": "400.00"}},
    ),
    case(
        "s8-flat-copay-less-copay",
        crown(plan("flat_copay", allowed={"D2740": "400.00"}, copay={"D2740": "50.00"})),
        {
            "c/p": {"copay": "50.00", "ins_estimate": "350.00", "writeoff": None},
            "c": {"patient_portion": "650.00"},
        },
    ),
    case(
        "s8-percentage-plan-copay",
        crown(pct(cov=HALF, copay={"D2740": "100.00"})),
        {"c/p": {"copay": "100.00", "ins_estimate": "450.00"}, "c": {"patient_portion": "550.00"}},
    ),
    case(
        "s8-fixed-benefit-pays-the-fixed-amount",
        crown(fixed({"D2740": "300.00"})),
        # copay 800 - 300 = 500; insurance 300; write-off 1000 - 800
        {
            "c/p": {
                "allowed": "800.00",
                "copay": "500.00",
                "percentage": 100,
                "base_estimate": "300.00",
                "ins_estimate": "300.00",
                "writeoff": "200.00",
            },
            "c": {"patient_portion": "500.00"},
        },
    ),
    case(
        "s8-fixed-benefit-is-100-percent-whatever-the-rows",
        crown(fixed({"D2740": "300.00"}, cov={"general": 50})),
        {"c/p": {"percentage": 100, "ins_estimate": "300.00"}},
    ),
    case(
        "s8-fixed-benefit-blank-pays-the-whole-ppo-fee",
        crown(fixed({"D2750": "300.00"})),
        {
            "c/p": {"copay": None, "ins_estimate": "800.00", "writeoff": "200.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s8-fixed-benefit-blank-is-zero-setting",
        crown(fixed({"D2750": "300.00"}), settings={"blank_fixed_benefit_is_zero": True}),
        {
            "c/p": {"copay": "800.00", "ins_estimate": "0.00", "writeoff": "200.00"},
            "c": {"patient_portion": "800.00"},
        },
    ),
    case(
        "s8-fixed-benefit-zero-pays-nothing",
        crown(fixed({"D2740": "0.00"})),
        {"c/p": {"copay": "800.00", "ins_estimate": "0.00"}, "c": {"patient_portion": "800.00"}},
    ),
    case(
        "s8-fixed-benefit-ppo-fee-blank-copay-from-line-fee",
        crown(fixed({"D2740": "300.00"}, allowed={})),
        # copay 1000 - 300 = 700; no write-off (blank PPO fee)
        {
            "c/p": {
                "allowed": "1000.00",
                "copay": "700.00",
                "ins_estimate": "300.00",
                "writeoff": "0.00",
            },
            "c": {"patient_portion": "700.00"},
        },
    ),
    case(
        "s8-fixed-benefit-above-ppo-fee-copay-zero",
        crown(fixed({"D2740": "900.00"})),
        {"c/p": {"copay": "0.00", "ins_estimate": "800.00"}},
    ),
    case(
        "s8-fixed-benefit-percentage-override",
        crown(fixed({"D2740": "300.00"}), overrides={"p": {"percentage": 50}}),
        # (800 - 500) x 50% = 150
        {"c/p": {"percentage": 50, "ins_estimate": "150.00"}, "c": {"patient_portion": "650.00"}},
    ),
    case(
        "s8-fixed-benefit-deductible",
        crown(fixed({"D2740": "300.00"}, ded={"general": "50.00"})),
        {"c/p": {"deductible": "50.00", "base_estimate": "300.00", "ins_estimate": "250.00"}},
    ),
    case(
        "s8-fixed-benefit-times-units",
        scenario(
            proc("x", "D4341", "120.00", units=2),
            plans=[fixed({"D4341": "40.00"}, allowed={"D4341": "100.00"})],
        ),
        # fee 240, allowed 200, copay 200 - 80 = 120, insurance 80, write-off 40
        {
            "x/p": {
                "allowed": "200.00",
                "copay": "120.00",
                "ins_estimate": "80.00",
                "writeoff": "40.00",
            },
            "x": {"fee": "240.00", "patient_portion": "120.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), COPAY_CASES)
def test_copays_and_fixed_benefits(doc, expect):
    check(run(doc), expect)


# Section 9: capitation ----------------------------------------------------------------------

CAP_COPAY = {"D2740": "150.00"}

CAPITATION_CASES = [
    case(
        "s9-capitation-pays-nothing-writes-off-all-but-copay",
        crown(
            plan(
                "capitation",
                copay=CAP_COPAY,
                cov=HALF,
                ded={"general": "50.00"},
                max={"general": "100.00"},
            )
        ),
        {
            "c/p": {
                "allowed": "1000.00",
                "substituted_code": None,
                "copay": "150.00",
                "deductible": "0.00",
                "percentage": None,
                "base_estimate": "0.00",
                "ins_estimate": "0.00",
                "writeoff": "850.00",
                "notes": [],
            },
            "c": {"ins_total": "0.00", "writeoff_total": "850.00", "patient_portion": "150.00"},
        },
    ),
    case(
        "s9-capitation-without-copay",
        crown(plan("capitation")),
        {"c/p": {"copay": None, "writeoff": "1000.00"}, "c": {"patient_portion": "0.00"}},
    ),
    case(
        "s9-capitation-copay-times-units",
        scenario(
            proc("x", "D2740", "100.00", units=3),
            plans=[plan("capitation", copay={"D2740": "10.00"})],
        ),
        {
            "x/p": {"copay": "30.00", "writeoff": "270.00"},
            "x": {"fee": "300.00", "patient_portion": "30.00"},
        },
    ),
    case(
        "s9-capitation-excluded-keeps-writeoff",
        crown(plan("capitation", copay=CAP_COPAY, excl=["code:D2740"])),
        {"c/p": {"notes": ["excluded"], "writeoff": "850.00"}, "c": {"patient_portion": "150.00"}},
    ),
    case(
        "s9-capitation-excluded-office-fee-for-exclusions-no-writeoff",
        crown(
            plan("capitation", copay=CAP_COPAY, excl=["code:D2740"]),
            settings={"office_fee_for_exclusions": True},
        ),
        {"c/p": {"notes": ["excluded"], "writeoff": None}, "c": {"patient_portion": "1000.00"}},
    ),
    case(
        "s9-capitation-office-fee-rule-needs-an-exclusion",
        crown(plan("capitation", copay=CAP_COPAY), settings={"office_fee_for_exclusions": True}),
        {"c/p": {"writeoff": "850.00"}},
    ),
    case(
        "s9-capitation-ignores-overrides",
        crown(
            plan("capitation", copay=CAP_COPAY),
            overrides={"p": {"ins_estimate": "300.00", "percentage": 80}},
        ),
        {"c/p": {"ins_estimate": "0.00", "percentage": None, "writeoff": "850.00"}},
    ),
    case(
        "s9-capitation-no-frequency-age-or-waiting-rule",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[
                plan(
                    "capitation",
                    copay=CAP_COPAY,
                    freq=[{"scope": "code:D2740", "per": "calendar_year"}],
                    age={"code:D2740": 10},
                    wait={"code:D2740": 24},
                    effective_date="2025-01-01",
                )
            ],
            history=[paid("D2740", "2025-02-01", "100.00")],
        ),
        {"c/p": {"notes": [], "ins_estimate": "0.00", "writeoff": "850.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), CAPITATION_CASES)
def test_capitation(doc, expect):
    check(run(doc), expect)
