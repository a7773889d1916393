"""Downgrades (alternate benefits): rules document section 6, section 7 for a percentage
plan's downgraded line; contract 3.6 (`downgrades`).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    case,
    check,
    pct,
    plan,
    ppo,
    proc,
    run,
    scenario,
)

# Section 6 / contract 3.6: downgrades ------------------------------------------------------

DG_ALLOWED = {
    "D2392": "140.00",
    "D2140": "60.00",
    "D2150": "95.00",
    "D2160": "110.00",
    "D2391": "120.00",
}
ALWAYS = {"code": "D2392", "to": "D2391"}  # `when` defaults to always
POSTERIOR = {"code": "D2392", "to": "D2160", "when": "posterior"}
MOLAR = {"code": "D2392", "to": "D2150", "when": "molar"}
SECOND_MOLAR = {"code": "D2392", "to": "D2140", "when": "second_molar"}
# Listed loosest first: precedence does not follow the list order.
LADDER = [ALWAYS, POSTERIOR, MOLAR, SECOND_MOLAR]


def composites(*teeth, plan_doc=None, rules=LADDER, **plan_kw):
    """One D2392 ($230) per tooth ("" = no tooth), each estimated alone on a 100% PPO."""
    lines = [
        proc(f"t{tooth or 'none'}", "D2392", "230.00", **({"tooth": tooth} if tooth else {}))
        for tooth in teeth
    ]
    if plan_doc is None:
        plan_doc = ppo(
            allowed=DG_ALLOWED, cov={"general": 100}, downgrades={"rules": rules}, **plan_kw
        )
    return scenario(*lines, plans=[plan_doc], mode="single_procedure")


def downgraded(code, allowed, writeoff="90.00"):
    # Write-off from the ORIGINAL code's PPO fee: 230 - 140 = 90.
    return {
        "substituted_code": code,
        "allowed": allowed,
        "ins_estimate": allowed,
        "writeoff": writeoff,
    }


NOT_DOWNGRADED = downgraded(None, "140.00")

DOWNGRADE_CASES = [
    case(
        "s6-precedence-second-molar-molar-posterior-always",
        composites("2", "31", "3", "30", "A", "K", "4", "21", "8", "C", ""),
        {
            "t2/p": downgraded("D2140", "60.00"),
            "t31/p": downgraded("D2140", "60.00"),
            "t3/p": downgraded("D2150", "95.00"),
            "t30/p": downgraded("D2150", "95.00"),
            "tA/p": downgraded("D2150", "95.00"),  # primary molars are molars
            "tK/p": downgraded("D2150", "95.00"),
            "t4/p": downgraded("D2160", "110.00"),
            "t21/p": downgraded("D2160", "110.00"),
            "t8/p": downgraded("D2391", "120.00"),
            "tC/p": downgraded("D2391", "120.00"),  # a primary canine is not posterior
            "tnone/p": downgraded("D2391", "120.00"),  # no tooth: only `always` rules
            # patient: 230 - 60 - 90
            "t2": {"patient_portion": "80.00"},
        },
    ),
    case(
        "s6-never-rule-switches-every-rule-off",
        composites("3", "8", rules=[*LADDER, {"code": "D2392", "to": "D2150", "when": "never"}]),
        {"t3/p": NOT_DOWNGRADED, "t8/p": NOT_DOWNGRADED},
    ),
    case(
        "s6-enabled-false",
        composites(
            "3",
            plan_doc=ppo(
                allowed=DG_ALLOWED,
                cov={"general": 100},
                downgrades={"enabled": False, "rules": LADDER},
            ),
        ),
        {"t3/p": NOT_DOWNGRADED},
    ),
    case(
        "s6-posterior-rule-applies-to-molars-without-a-molar-rule",
        composites("2", "8", "", rules=[POSTERIOR]),
        {"t2/p": downgraded("D2160", "110.00"), "t8/p": NOT_DOWNGRADED, "tnone/p": NOT_DOWNGRADED},
    ),
    case(
        "s6-molar-rule-not-on-premolar",
        composites("3", "4", "B", rules=[MOLAR]),
        {
            "t3/p": downgraded("D2150", "95.00"),
            "t4/p": NOT_DOWNGRADED,
            "tB/p": downgraded("D2150", "95.00"),
        },
    ),
    case(
        "s6-posterior-primary-teeth",
        composites("J", "S", "E", "M", rules=[POSTERIOR]),
        {
            "tJ/p": downgraded("D2160", "110.00"),
            "tS/p": downgraded("D2160", "110.00"),
            "tE/p": NOT_DOWNGRADED,
            "tM/p": NOT_DOWNGRADED,
        },
    ),
    case(
        "s6-first-rule-of-a-kind-applies",
        composites("8", rules=[ALWAYS, {"code": "D2392", "to": "D2160"}]),
        {"t8/p": downgraded("D2391", "120.00")},
    ),
    case(
        "s6-rules-for-other-codes-ignored",
        composites("3", rules=[{"code": "D2391", "to": "D2140"}]),
        {"t3/p": NOT_DOWNGRADED},
    ),
    case(
        "s6-capitation-never-downgrades",
        composites("3", plan_doc=plan("capitation", downgrades={"rules": LADDER})),
        {"t3/p": {"substituted_code": None, "allowed": "230.00", "writeoff": "230.00"}},
    ),
    case(
        # contract 3.6: writeoff_on_downgraded false -> a PPO takes no write-off (null) on a
        # downgraded line; a line that is not downgraded keeps its write-off.
        "s6-writeoff-on-downgraded-false-is-null",
        composites(
            "30",
            "8",
            plan_doc=ppo(
                allowed=DG_ALLOWED,
                cov={"general": 100},
                downgrades={"writeoff_on_downgraded": False, "rules": [MOLAR]},
            ),
        ),
        {
            "t30/p": downgraded("D2150", "95.00", writeoff=None),
            "t30": {"writeoff_total": "0.00", "patient_portion": "135.00"},
            "t8/p": NOT_DOWNGRADED,
        },
    ),
    case(
        "s6-downgrade-changes-the-copay",
        composites(
            "30",
            plan_doc=ppo(
                allowed=DG_ALLOWED,
                copay={"D2392": "35.00", "D2150": "20.00"},
                cov={"general": 100},
                downgrades={"rules": [MOLAR]},
            ),
        ),
        # allowed 95, copay 20 (substitute), 95 - 20 = 75; write-off 230 - 140 = 90
        {
            "t30/p": {
                "allowed": "95.00",
                "copay": "20.00",
                "ins_estimate": "75.00",
                "writeoff": "90.00",
            },
            "t30": {"patient_portion": "65.00"},
        },
    ),
    case(
        "s6-downgrade-changes-the-fixed-benefit",
        composites(
            "30",
            plan_doc=plan(
                "ppo_fixed_benefit",
                allowed=DG_ALLOWED,
                fixed_benefit={"D2392": "100.00", "D2150": "70.00"},
                downgrades={"rules": [MOLAR]},
            ),
        ),
        # allowed 95, copay 95 - 70 = 25, insurance 70, write-off 90, patient 230 - 70 - 90
        {
            "t30/p": {
                "allowed": "95.00",
                "copay": "25.00",
                "ins_estimate": "70.00",
                "writeoff": "90.00",
            },
            "t30": {"patient_portion": "70.00"},
        },
    ),
    case(
        "s6-never-raises-the-allowed-amount",
        composites(
            "30",
            plan_doc=ppo(
                allowed={"D2392": "140.00", "D2150": "160.00"},
                cov={"general": 100},
                downgrades={"rules": [MOLAR]},
            ),
        ),
        {"t30/p": downgraded("D2150", "140.00")},
    ),
    case(
        "s6-blank-substitute-fee-falls-back-to-original",
        composites(
            "30",
            plan_doc=ppo(
                allowed={"D2392": "140.00", "D2150": None},
                cov={"general": 100},
                downgrades={"rules": [MOLAR]},
            ),
        ),
        {"t30/p": downgraded("D2150", "140.00")},
    ),
    case(
        "s6-units",
        scenario(
            proc("x", "D2392", "230.00", tooth="30", units=2),
            plans=[ppo(allowed=DG_ALLOWED, cov={"general": 100}, downgrades={"rules": [MOLAR]})],
        ),
        # fee 460, allowed 95 x 2 = 190, write-off 460 - 140 x 2 = 180
        {
            "x": {"fee": "460.00", "patient_portion": "90.00"},
            "x/p": {"allowed": "190.00", "ins_estimate": "190.00", "writeoff": "180.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), DOWNGRADE_CASES)
def test_downgrades(doc, expect):
    check(run(doc), expect)


def _pct_downgrade(**kw):
    extra = {"office_fees": kw.pop("office_fees")} if "office_fees" in kw else {}
    return scenario(
        proc("x", "D2392", "230.00", tooth="30"),
        plans=[pct(cov={"category:restorative": 80}, downgrades={"rules": [MOLAR]}, **kw)],
        **extra,
    )


# A percentage plan's allowed amount on a downgraded line (section 7).
PERCENTAGE_DOWNGRADE_CASES = [
    case(
        "s7-percentage-downgrade-plan-fee-for-substitute",
        _pct_downgrade(plan_fees={"D2150": "100.00"}, office_fees={"D2150": "120.00"}),
        {
            "x/p": {
                "substituted_code": "D2150",
                "allowed": "100.00",
                "ins_estimate": "80.00",
                "writeoff": None,
            },
            "x": {"patient_portion": "150.00"},
        },
    ),
    case(
        "s7-percentage-downgrade-office-fee-for-substitute",
        _pct_downgrade(office_fees={"D2150": "120.00"}),
        {"x/p": {"allowed": "120.00", "ins_estimate": "96.00"}},
    ),
    case(
        # ambiguous: §7 names no fallback when neither the plan nor the office has a fee for
        # the substitute; the engine allows the line's fee (a downgrade never raises it).
        "s7-percentage-downgrade-substitute-unknown-ambiguous",
        _pct_downgrade(),
        {"x/p": {"substituted_code": "D2150", "allowed": "230.00", "ins_estimate": "184.00"}},
    ),
    case(
        "s7-percentage-downgrade-out-of-network-schedule",
        _pct_downgrade(
            allowed={"D2392": "150.00", "D2150": "100.00"}, plan_fees={"D2150": "90.00"}
        ),
        {"x/p": {"allowed": "100.00", "ins_estimate": "80.00"}},
    ),
    case(
        "s7-percentage-not-downgraded-no-allowed-amount-is-the-fee",
        scenario(
            proc("x", "D2392", "230.00", tooth="8"),
            plans=[
                pct(
                    cov={"category:restorative": 80},
                    downgrades={"rules": [MOLAR]},
                    plan_fees={"D2392": "200.00"},
                )
            ],
        ),
        {"x/p": {"substituted_code": None, "allowed": "230.00", "ins_estimate": "184.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), PERCENTAGE_DOWNGRADE_CASES)
def test_percentage_plan_downgrades(doc, expect):
    check(run(doc), expect)
