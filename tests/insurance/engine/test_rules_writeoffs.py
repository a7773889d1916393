"""Write-offs and the patient portion: rules document sections 17 and 22; contract 3.5 (the
write-off settings, each on and off, and plan overrides beating them).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    HALF,
    case,
    check,
    crown,
    freq_row,
    paid,
    pct,
    plan,
    ppo,
    proc,
    run,
    scenario,
)

FEE_1000 = proc("c", "D2740", "1000.00")
PRIMARY_800 = ppo("a", 1, allowed={"D2740": "800.00"}, cov=HALF)  # pays 400, writes off 200


def allowed(amount):
    return {"D2740": amount}


# Section 17: write-offs, and the settings of contract 3.5 that change them --------------------

MAX_USED = [paid("D2391", "2025-02-01", "1000.00")]
PPO_MAX = {"allowed": allowed("800.00"), "cov": HALF, "max": {"general": "1000.00"}}
MAXED = {"ins_estimate": "0.00", "notes": ["over_annual_max"]}


def maxed(settings=None, **plan_kw):
    return crown(ppo(**PPO_MAX, **plan_kw), settings=settings, history=MAX_USED)


def age_limited(settings=None, **plan_kw):
    return crown(
        ppo(allowed=allowed("800.00"), cov=HALF, age={"code:D2740": 30}, **plan_kw),
        settings=settings,
    )


def freq_limited(settings=None, **plan_kw):
    return crown(
        ppo(
            allowed=allowed("800.00"), cov=HALF, freq=[freq_row("code:D2740", "years:5")], **plan_kw
        ),
        settings=settings,
        history=[paid("D2740", "2024-01-10", "400.00")],
    )


ZERO_MAX = {"zero_writeoff_when_max_reached": True}
ZERO_LIMITS = {"zero_writeoff_on_frequency_or_age_limit": True}

WRITEOFF_CASES = [
    case(
        "s17-percentage-and-flat-copay-have-no-writeoff",
        scenario(
            FEE_1000,
            plans=[pct("a", 1, cov=HALF), plan("flat_copay", "b", 2, allowed=allowed("100.00"))],
        ),
        {"c/a": {"writeoff": None}, "c/b": {"writeoff": None}, "c": {"writeoff_total": "0.00"}},
    ),
    case(
        "s17-ppo-writeoff-fee-minus-contracted-fee",
        crown(ppo(allowed=allowed("800.00"), cov=HALF)),
        {"c/p": {"writeoff": "200.00"}},
    ),
    # 17.3: a maximum leaves the plan paying 0
    case(
        "s17-max-reached-setting-off-keeps-writeoff",
        maxed(),
        {"c/p": {**MAXED, "writeoff": "200.00"}, "c": {"patient_portion": "800.00"}},
    ),
    case(
        "s17-max-reached-setting-on-zeroes-writeoff",
        maxed(settings=ZERO_MAX),
        {"c/p": {**MAXED, "writeoff": "0.00"}, "c": {"patient_portion": "1000.00"}},
    ),
    case(
        "s17-max-reached-plan-true-beats-setting-off",
        maxed(zero_writeoff_when_max_reached=True),
        {"c/p": {"writeoff": "0.00"}},
    ),
    case(
        "s17-max-reached-plan-false-beats-setting-on",
        maxed(settings=ZERO_MAX, zero_writeoff_when_max_reached=False),
        {"c/p": {"writeoff": "200.00"}},
    ),
    case(
        "s17-max-reached-plan-null-follows-setting",
        maxed(settings=ZERO_MAX, zero_writeoff_when_max_reached=None),
        {"c/p": {"writeoff": "0.00"}},
    ),
    case(
        "s17-max-reduces-but-pays-something-keeps-writeoff",
        crown(ppo(**PPO_MAX), settings=ZERO_MAX, history=[paid("D2391", "2025-02-01", "900.00")]),
        {"c/p": {"ins_estimate": "100.00", "writeoff": "200.00"}},
    ),
    case(
        "s17-deductible-swallowed-keeps-writeoff",
        scenario(
            proc("x", "D2391", "100.00"),
            plans=[
                ppo(
                    allowed={"D2391": "40.00"},
                    cov=HALF,
                    ded={"general": "50.00"},
                    max={"general": "1000.00"},
                )
            ],
            history=MAX_USED,
            settings=ZERO_MAX,
        ),
        # the deductible (40) leaves 0 before the maximum: not the maximum's doing
        {"x/p": {"deductible": "40.00", "ins_estimate": "0.00", "writeoff": "60.00"}},
    ),
    # 17.3: age and frequency limits
    case(
        "s17-age-limit-setting-off-keeps-writeoff",
        age_limited(),
        {"c/p": {"notes": ["age_limit"], "writeoff": "200.00"}, "c": {"patient_portion": "800.00"}},
    ),
    case(
        "s17-age-limit-setting-on-zeroes-writeoff",
        age_limited(settings=ZERO_LIMITS),
        {"c/p": {"notes": ["age_limit"], "writeoff": "0.00"}, "c": {"patient_portion": "1000.00"}},
    ),
    case(
        "s17-age-limit-plan-true-beats-setting-off",
        age_limited(zero_writeoff_on_frequency_or_age_limit=True),
        {"c/p": {"writeoff": "0.00"}},
    ),
    case(
        "s17-age-limit-plan-false-beats-setting-on",
        age_limited(settings=ZERO_LIMITS, zero_writeoff_on_frequency_or_age_limit=False),
        {"c/p": {"writeoff": "200.00"}},
    ),
    case(
        "s17-frequency-setting-off-keeps-writeoff",
        freq_limited(),
        {"c/p": {"notes": ["frequency_limit"], "writeoff": "200.00"}},
    ),
    case(
        "s17-frequency-setting-on-zeroes-writeoff",
        freq_limited(settings=ZERO_LIMITS),
        {
            "c/p": {"notes": ["frequency_limit"], "writeoff": "0.00"},
            "c": {"patient_portion": "1000.00"},
        },
    ),
    case(
        "s17-frequency-plan-true-beats-setting-off",
        freq_limited(zero_writeoff_on_frequency_or_age_limit=True),
        {"c/p": {"writeoff": "0.00"}},
    ),
    case(
        "s17-frequency-plan-false-beats-setting-on",
        freq_limited(settings=ZERO_LIMITS, zero_writeoff_on_frequency_or_age_limit=False),
        {"c/p": {"writeoff": "200.00"}},
    ),
    case(
        "s17-max-setting-does-not-zero-on-age-limit",
        age_limited(settings=ZERO_MAX),
        {"c/p": {"writeoff": "200.00"}},
    ),
    case(
        "s17-limits-setting-does-not-zero-on-maximum",
        maxed(settings=ZERO_LIMITS),
        {"c/p": {"writeoff": "200.00"}},
    ),
    case(
        "s17-waiting-period-keeps-writeoff",
        crown(
            ppo(
                allowed=allowed("800.00"),
                cov=HALF,
                wait={"general": 12},
                effective_date="2025-01-01",
            ),
            settings={**ZERO_MAX, **ZERO_LIMITS},
        ),
        {"c/p": {"notes": ["waiting_period"], "writeoff": "200.00"}},
    ),
    case(
        "s17-blank-writeoff-stays-blank",
        crown(
            pct(cov=HALF, max={"general": "1000.00"}, age={"code:D2740": 30}),
            settings={**ZERO_MAX, **ZERO_LIMITS},
            history=MAX_USED,
        ),
        {"c/p": {"writeoff": None}},
    ),
    case(
        "s17-downgraded-no-writeoff-stays-blank-under-settings",
        scenario(
            proc("x", "D2392", "230.00", tooth="30"),
            plans=[
                ppo(
                    allowed={"D2392": "140.00", "D2150": "95.00"},
                    cov={"general": 100},
                    max={"general": "1000.00"},
                    downgrades={
                        "writeoff_on_downgraded": False,
                        "rules": [{"code": "D2392", "to": "D2150"}],
                    },
                )
            ],
            history=MAX_USED,
            settings=ZERO_MAX,
        ),
        {"x/p": {"ins_estimate": "0.00", "writeoff": None}, "x": {"patient_portion": "230.00"}},
    ),
    case(
        "s17-normal-writeoff-times-units",
        scenario(
            proc("x", "D4341", "250.00", units=2),
            plans=[ppo(allowed={"D4341": "200.00"}, cov={"general": 80})],
        ),
        {"x/p": {"writeoff": "100.00"}},
    ),
    # 17.2 step 4: a PPO after another plan
    case(
        "s17-secondary-ppo-writeoffs-off",
        crown(pct("a", 1, cov=HALF), ppo("b", 2, allowed=allowed("800.00"), cov=HALF)),
        # b: min(400, 1000 - 500) = 400; no write-off after a paying plan
        {"c/b": {"ins_estimate": "400.00", "writeoff": "0.00"}, "c": {"patient_portion": "100.00"}},
    ),
    case(
        "s17-secondary-ppo-writeoffs-on",
        crown(
            pct("a", 1, cov=HALF),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF),
            settings={"secondary_ppo_writeoffs": True},
        ),
        # normal 200, room 1000 - 500 = 500 -> 200; 500 + 400 + 200 > 1000 -> cut to 100
        {"c/b": {"ins_estimate": "400.00", "writeoff": "100.00"}, "c": {"patient_portion": "0.00"}},
    ),
    case(
        "s17-secondary-ppo-writeoffs-on-but-primary-wrote-off",
        crown(
            ppo("a", 1, allowed=allowed("900.00"), cov={"general": 20}),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF),
            settings={"secondary_ppo_writeoffs": True},
        ),
        # a: 180, write-off 100; b: min(400, 1000 - 180 - 100) = 400, write-off 0
        {"c/a": {"writeoff": "100.00"}, "c/b": {"ins_estimate": "400.00", "writeoff": "0.00"}},
    ),
    case(
        "s17-secondary-ppo-after-a-plan-that-pays-nothing",
        crown(
            pct("a", 1, cov=HALF, excl=["code:D2740"]),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF),
        ),
        # nothing paid or written off before: b takes its normal write-off even with the
        # setting off (it is the first paying PPO)
        {
            "c/b": {"ins_estimate": "400.00", "writeoff": "200.00"},
            "c": {"patient_portion": "400.00"},
        },
    ),
    case(
        "s17-trim-only-the-primary-ppo",
        crown(
            pct("a", 1, cov={"general": 60}),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF),
        ),
        # a (percentage): 600, no write-off; b: min(400, 400) = 400; nothing to trim
        {
            "c/a": {"writeoff": None},
            "c/b": {"ins_estimate": "400.00", "writeoff": "0.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), WRITEOFF_CASES)
def test_writeoffs(doc, expect):
    check(run(doc), expect)


# Section 22: patient portion ------------------------------------------------------------------

PATIENT_CASES = [
    case(
        "s22-fee-minus-insurance-minus-writeoffs",
        crown(PRIMARY_800, ppo("b", 2, allowed=allowed("600.00"), cov=HALF)),
        {
            "c": {
                "fee": "1000.00",
                "ins_total": "700.00",
                "writeoff_total": "200.00",
                "patient_portion": "100.00",
            }
        },
    ),
    case(
        "s22-blank-writeoffs-count-as-zero",
        crown(pct(cov=HALF)),
        {"c": {"writeoff_total": "0.00", "patient_portion": "500.00"}},
    ),
    case(
        "s22-not-clamped-below-zero",
        crown(
            ppo(allowed=allowed("800.00"), cov=HALF), overrides={"p": {"ins_estimate": "900.00"}}
        ),
        # 1000 - 900 - 200 (the write-off from the computed 400)
        {
            "c/p": {"ins_estimate": "900.00", "writeoff": "200.00"},
            "c": {"patient_portion": "-100.00"},
        },
    ),
    case(
        "s22-no-plans-patient-pays-the-fee",
        crown(),
        {
            "c": {"ins_total": "0.00", "writeoff_total": "0.00", "patient_portion": "1000.00"},
            "estimates": 0,
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), PATIENT_CASES)
def test_patient_portion(doc, expect):
    check(run(doc), expect)
