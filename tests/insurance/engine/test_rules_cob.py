"""Several plans: rules document sections 13 (coordination of benefits, with its worked
examples), 14 (exclusions) and 21 (claims already paid or sent); contract 3.6 (`cob_rule`).
Write-offs are in test_rules_writeoffs.py.

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
    paid_out,
    pct,
    pending,
    plan,
    ppo,
    proc,
    run,
    scenario,
)


def allowed(amount):
    return {"D2740": amount}


# Section 13: coordination of benefits --------------------------------------------------------

PRIMARY_800 = ppo("a", 1, allowed=allowed("800.00"), cov=HALF)  # pays 400, writes off 200

COB_CASES = [
    case(
        # Worked: fee $1000, primary PPO allowed $800 at 50% pays $400, writes off $200;
        # a Standard secondary PPO allowed $600 at 50% pays min(300, 1000 - 400 - 200) = $300.
        "s13-worked-standard",
        crown(PRIMARY_800, ppo("b", 2, allowed=allowed("600.00"), cov=HALF)),
        {
            "c/a": {"ins_estimate": "400.00", "writeoff": "200.00"},
            # no write-off for a PPO after a paying plan (secondary_ppo_writeoffs off)
            "c/b": {"base_estimate": "300.00", "ins_estimate": "300.00", "writeoff": "0.00"},
            "c": {"ins_total": "700.00", "writeoff_total": "200.00", "patient_portion": "100.00"},
        },
    ),
    case(
        # ... under Basic: min(300, 600 - 400) = $200.
        "s13-worked-basic",
        crown(PRIMARY_800, ppo("b", 2, allowed=allowed("600.00"), cov=HALF, cob_rule="basic")),
        {
            "c/b": {"base_estimate": "200.00", "ins_estimate": "200.00", "writeoff": "0.00"},
            "c": {"ins_total": "600.00", "writeoff_total": "200.00", "patient_portion": "200.00"},
        },
    ),
    case(
        # ... switched: primary allowed $600 pays $300, writes off $400; a Basic secondary
        # allowed $800 pays min(400, 800 - 300) = $400; 300 + 400 + 400 > 1000, so the
        # primary's write-off is trimmed to 1000 - 700 = $300 (section 17.4).
        "s13-worked-switched-basic-with-trim",
        crown(
            ppo("a", 1, allowed=allowed("600.00"), cov=HALF),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF, cob_rule="basic"),
        ),
        {
            "c/a": {"ins_estimate": "300.00", "writeoff": "300.00"},
            "c/b": {"base_estimate": "400.00", "ins_estimate": "400.00", "writeoff": "0.00"},
            "c": {"ins_total": "700.00", "writeoff_total": "300.00", "patient_portion": "0.00"},
        },
    ),
    case(
        "s13-switched-standard-for-comparison",
        crown(
            ppo("a", 1, allowed=allowed("600.00"), cov=HALF),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF),
        ),
        # min(400, 1000 - 300 - 400) = 300; 300 + 300 + 400 = 1000, no trim
        {
            "c/a": {"writeoff": "400.00"},
            "c/b": {"ins_estimate": "300.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s13-standard-own-deductible-reduces-first",
        crown(
            ppo("a", 1, allowed=allowed("900.00"), cov=HALF),
            pct("b", 2, cov=HALF, ded={"general": "200.00"}),
        ),
        # a: 450, write-off 100, patient owes 450. b: base min(500, 450) = 450;
        # estimate (1000 - 200) x 50% = 400 < 450
        {
            "c/b": {"deductible": "200.00", "base_estimate": "450.00", "ins_estimate": "400.00"},
            "c": {"patient_portion": "50.00"},
        },
    ),
    case(
        "s13-base-side-uses-already-paid-base",
        crown(
            ppo("a", 1, allowed=allowed("800.00"), cov=HALF, ded={"general": "100.00"}),
            pct("b", 2, cov=HALF),
        ),
        # a: base 400, estimate 350, write-off 200.
        # b: base min(500, 1000 - 400 - 200) = 400; estimate min(500, 1000 - 350 - 200) = 450
        {
            "c/a": {"base_estimate": "400.00", "ins_estimate": "350.00"},
            "c/b": {"base_estimate": "400.00", "ins_estimate": "450.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s13-basic-negative-cap-counts-as-zero",
        crown(PRIMARY_800, ppo("b", 2, allowed=allowed("300.00"), cov=HALF, cob_rule="basic")),
        # 300 - 400 < 0 -> 0
        {"c/b": {"base_estimate": "0.00", "ins_estimate": "0.00"}},
    ),
    case(
        "s13-carve-out",
        crown(PRIMARY_800, pct("b", 2, cov=HALF, ded={"general": "50.00"}, cob_rule="carve_out")),
        # own base 500 - 400 = 100; own estimate (1000 - 50) x 50% = 475 - 400 = 75
        {
            "c/b": {"base_estimate": "100.00", "ins_estimate": "75.00", "writeoff": None},
            "c": {"patient_portion": "325.00"},
        },
    ),
    case(
        "s13-carve-out-nothing-left",
        crown(PRIMARY_800, pct("b", 2, cov={"general": 30}, cob_rule="carve_out")),
        # 300 - 400 < 0 -> 0
        {"c/b": {"base_estimate": "0.00", "ins_estimate": "0.00"}},
    ),
    case(
        "s13-secondary-medicaid-at-ordinal-2-basic-and-writes-off-the-rest",
        crown(
            PRIMARY_800,
            plan("flat_copay", "m", 2, allowed=allowed("500.00"), cob_rule="secondary_medicaid"),
        ),
        # basic: min(500, 500 - 400) = 100; write-off 1000 - 400 - 200 - 100 = 300
        {
            "c/m": {"base_estimate": "100.00", "ins_estimate": "100.00", "writeoff": "300.00"},
            "c": {"ins_total": "500.00", "writeoff_total": "500.00", "patient_portion": "0.00"},
        },
    ),
    case(
        "s13-secondary-medicaid-at-ordinal-2-any-type-with-trim",
        crown(PRIMARY_800, pct("m", 2, cov=HALF, cob_rule="secondary_medicaid")),
        # basic: min(500, 1000 - 400) = 500; write-off max(0, 1000 - 400 - 200 - 500) = 0;
        # 900 paid + 200 primary write-off > 1000: primary trimmed to 100
        {
            "c/a": {"writeoff": "100.00"},
            "c/m": {"ins_estimate": "500.00", "writeoff": "0.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s13-secondary-medicaid-age-limited-still-writes-off-the-rest",
        crown(
            PRIMARY_800,
            plan(
                "flat_copay",
                "m",
                2,
                allowed=allowed("500.00"),
                cob_rule="secondary_medicaid",
                age={"code:D2740": 20},
            ),
        ),
        # the age limit (step 9) comes before the write-off (step 10): 1000 - 400 - 200 - 0
        {
            "c/m": {"base_estimate": "100.00", "ins_estimate": "0.00", "writeoff": "400.00"},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        # ambiguous: contract 3.6 says a Secondary Medicaid plan at ordinal 2 writes off
        # everything so the patient owes nothing, but its frequency limit (step 11) comes
        # after the write-off (step 10), which section 17.3 keeps as computed. The engine
        # follows the step order: write-off 1000 - 400 - 200 - 100, then the frequency
        # limit zeroes the 100, and the patient owes 100.
        "s13-secondary-medicaid-frequency-denied-after-writeoff-ambiguous",
        crown(
            PRIMARY_800,
            plan(
                "flat_copay",
                "m",
                2,
                allowed=allowed("500.00"),
                cob_rule="secondary_medicaid",
                freq=[freq_row("code:D2740", "years:5")],
            ),
            history=[paid("D2740", "2023-01-10", "300.00", plan="m")],
        ),
        {
            "c/m": {"ins_estimate": "0.00", "writeoff": "300.00", "notes": ["frequency_limit"]},
            "c": {"patient_portion": "100.00"},
        },
    ),
    case(
        "s13-secondary-medicaid-at-ordinal-3-is-standard",
        crown(
            PRIMARY_800,
            pct("b", 2, cov={"general": 20}),
            plan("flat_copay", "m", 3, allowed=allowed("500.00"), cob_rule="secondary_medicaid"),
        ),
        # b: 200. m as standard: min(500, 1000 - 600 - 200) = 200 (Basic would give
        # 500 - 600 -> 0); no write-off: a flat-copay plan at ordinal 3
        {
            "c/b": {"ins_estimate": "200.00"},
            "c/m": {"base_estimate": "200.00", "ins_estimate": "200.00", "writeoff": None},
            "c": {"patient_portion": "0.00"},
        },
    ),
    case(
        "s13-secondary-medicaid-as-primary-has-no-effect",
        crown(plan("flat_copay", "m", 1, allowed=allowed("500.00"), cob_rule="secondary_medicaid")),
        {"c/m": {"ins_estimate": "500.00", "writeoff": None}, "c": {"patient_portion": "500.00"}},
    ),
    case(
        "s13-cob-rule-ignored-on-the-primary",
        crown(ppo("a", 1, allowed=allowed("800.00"), cov=HALF, cob_rule="basic")),
        {"c/a": {"ins_estimate": "400.00", "writeoff": "200.00"}},
    ),
    case(
        # COB before maximums: a secondary's maximum limits what is left after COB. The
        # standard cap (450) fits in the 500 left, so there is no maximum note.
        "s13-cob-before-maximum-no-note",
        scenario(
            proc("c", "D2750", "1200.00"),
            plans=[
                ppo("a", 1, allowed={"D2750": "900.00"}, cov=HALF),
                pct("b", 2, cov=HALF, ded={"general": "50.00"}, max={"general": "500.00"}),
            ],
        ),
        # b: (1200 - 50) x 50% = 575, capped by 1200 - 450 - 300 = 450
        {"c/b": {"ins_estimate": "450.00", "notes": []}},
    ),
    case(
        "s13-secondary-maximum-limits-what-is-left-after-cob",
        scenario(
            proc("c", "D2750", "1200.00"),
            plans=[
                ppo("a", 1, allowed={"D2750": "900.00"}, cov=HALF),
                pct("b", 2, cov=HALF, ded={"general": "50.00"}, max={"general": "500.00"}),
            ],
            history=[paid("D2391", "2025-02-01", "100.00", plan="b")],
        ),
        # 450 after COB, 400 left of b's maximum
        {
            "c/b": {
                "base_estimate": "450.00",
                "ins_estimate": "400.00",
                "notes": ["over_annual_max"],
            }
        },
    ),
    case(
        "s13-excluded-on-the-secondary",
        crown(PRIMARY_800, pct("b", 2, cov=HALF, excl=["category:crowns"])),
        {"c/b": {"base_estimate": "0.00", "ins_estimate": "0.00", "notes": ["excluded"]}},
    ),
    case(
        "s13-primary-excluded-secondary-pays-as-if-first",
        crown(pct("a", 1, cov=HALF, excl=["code:D2740"]), pct("b", 2, cov=HALF)),
        {"c/a": {"ins_estimate": "0.00"}, "c/b": {"ins_estimate": "500.00"}},
    ),
    case(
        "s13-plans-by-ordinal-whatever-the-input-order",
        crown(pct("b", 2, cov=HALF), pct("a", 1, cov={"general": 80})),
        # a (primary) 800; b: min(500, 1000 - 800) = 200
        {
            "c/a": {"ins_estimate": "800.00"},
            "c/b": {"ins_estimate": "200.00"},
            "plans": [
                {
                    "plan": "a",
                    "benefits_source": None,
                    "benefits_as_of": None,
                    "benefits_age_days": None,
                },
                {
                    "plan": "b",
                    "benefits_source": None,
                    "benefits_as_of": None,
                    "benefits_age_days": None,
                },
            ],
        },
    ),
    case(
        "s13-four-plans",
        crown(
            pct("a", 1, cov={"general": 40}),
            pct("b", 2, cov={"general": 30}),
            pct("c2", 3, cov={"general": 20}),
            pct("d", 4, cov={"general": 50}),
        ),
        # 400, 300, 200, then min(500, 1000 - 900) = 100
        {
            "c/d": {"ins_estimate": "100.00"},
            "c": {"ins_total": "1000.00", "patient_portion": "0.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), COB_CASES)
def test_coordination_of_benefits(doc, expect):
    check(run(doc), expect)


def test_cob_estimate_rows_follow_ordinals():
    result = run(crown(pct("b", 2, cov=HALF), pct("a", 1, cov=HALF)))
    assert [row["plan"] for row in result["estimates"]] == ["a", "b"]


# Section 14: exclusions ----------------------------------------------------------------------

EXCLUDED = {
    "deductible": "0.00",
    "base_estimate": "0.00",
    "ins_estimate": "0.00",
    "notes": ["excluded"],
}
PPO_EXCL = {"allowed": allowed("800.00"), "cov": HALF, "ded": {"general": "50.00"}}

EXCLUSION_CASES = [
    case(
        "s14-excluded-by-code-ppo-keeps-normal-writeoff",
        crown(ppo(**PPO_EXCL, excl=["code:D2740"])),
        {"c/p": {**EXCLUDED, "writeoff": "200.00"}, "c": {"patient_portion": "800.00"}},
    ),
    case(
        "s14-excluded-by-code-group",
        crown(ppo(**PPO_EXCL, excl=["code_group:D2750,D2740"])),
        {"c/p": EXCLUDED},
    ),
    case(
        "s14-excluded-by-category",
        crown(ppo(**PPO_EXCL, excl=["category:crowns"])),
        {"c/p": EXCLUDED},
    ),
    case(
        "s14-excluded-and-not-covered-gets-only-excluded",
        crown(ppo(allowed=allowed("800.00"), excl=["category:crowns"])),
        {"c/p": {"percentage": 0, "notes": ["excluded"]}},
    ),
    case(
        "s14-office-fee-for-exclusions-ppo-takes-no-writeoff",
        crown(ppo(**PPO_EXCL, excl=["code:D2740"]), settings={"office_fee_for_exclusions": True}),
        {"c/p": {**EXCLUDED, "writeoff": "0.00"}, "c": {"patient_portion": "1000.00"}},
    ),
    case(
        "s14-zero-percent-is-like-excluded-for-office-fee-rule",
        crown(
            ppo(allowed=allowed("800.00"), cov={"category:preventive": 100}),
            settings={"office_fee_for_exclusions": True},
        ),
        {"c/p": {"ins_estimate": "0.00", "writeoff": "0.00", "notes": ["not_covered"]}},
    ),
    case(
        "s14-zero-percent-without-office-fee-rule-keeps-writeoff",
        crown(ppo(allowed=allowed("800.00"), cov={"category:preventive": 100})),
        {
            "c/p": {"writeoff": "200.00", "notes": ["not_covered"]},
            "c": {"patient_portion": "800.00"},
        },
    ),
    case(
        "s14-office-fee-for-exclusions-percentage-plan-null",
        crown(pct(cov=HALF, excl=["code:D2740"]), settings={"office_fee_for_exclusions": True}),
        {"c/p": {**EXCLUDED, "writeoff": None}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), EXCLUSION_CASES)
def test_exclusions(doc, expect):
    check(run(doc), expect)


# Section 21: claims already paid or sent ------------------------------------------------------

CLAIM_CASES = [
    case(
        "s21-primary-paid-secondary-coordinates-with-the-real-payment",
        crown(
            ppo("a", 1, allowed=allowed("800.00"), cov=HALF),
            pct("b", 2, cov=HALF),
            history=[
                paid(
                    procedure="c", amount="350.00", deductible="50.00", writeoff="200.00", plan="a"
                )
            ],
        ),
        # b: min(500, 1000 - 350 - 200) = 450
        {
            "c/a": {
                "allowed": None,
                "substituted_code": None,
                "copay": None,
                "deductible": "50.00",
                "percentage": None,
                "base_estimate": "350.00",
                "ins_estimate": "350.00",
                "writeoff": "200.00",
                "notes": ["claim_paid"],
            },
            "c/b": {"base_estimate": "450.00", "ins_estimate": "450.00"},
            "c": {"ins_total": "800.00", "writeoff_total": "200.00", "patient_portion": "0.00"},
        },
    ),
    case(
        "s21-several-entries-summed-pending-wins",
        crown(
            ppo("a", 1, allowed=allowed("800.00"), cov=HALF),
            history=[
                paid(procedure="c", amount="200.00", writeoff="200.00", plan="a"),
                pending(procedure="c", amount="150.00", deductible="20.00", plan="a"),
            ],
        ),
        {
            "c/a": {
                "ins_estimate": "350.00",
                "deductible": "20.00",
                "writeoff": "200.00",
                "notes": ["claim_pending"],
            },
            "c": {"patient_portion": "450.00"},
        },
    ),
    case(
        "s21-claim-without-writeoff-is-null",
        crown(
            ppo("a", 1, allowed=allowed("800.00"), cov=HALF),
            pct("b", 2, cov=HALF),
            history=[paid(procedure="c", amount="350.00", plan="a")],
        ),
        # b: min(500, 1000 - 350 - 0) = 500
        {
            "c/a": {"writeoff": None},
            "c/b": {"ins_estimate": "500.00"},
            "c": {"patient_portion": "150.00"},
        },
    ),
    case(
        "s21-claimed-primary-is-not-trimmed",
        crown(
            ppo("a", 1, allowed=allowed("600.00"), cov=HALF),
            ppo("b", 2, allowed=allowed("800.00"), cov=HALF, cob_rule="basic"),
            history=[paid(procedure="c", amount="300.00", writeoff="400.00", plan="a")],
        ),
        # b: min(400, 800 - 300) = 400; 300 + 400 + 400 > 1000 but the primary has paid:
        # its real write-off stands, and the patient portion is not clamped
        {
            "c/a": {"writeoff": "400.00"},
            "c/b": {"ins_estimate": "400.00", "writeoff": "0.00"},
            "c": {"patient_portion": "-100.00"},
        },
    ),
    case(
        "s21-claim-counts-for-other-lines",
        scenario(
            proc("c", "D2740", "1000.00"),
            proc("d", "D2750", "1000.00"),
            proc("clean", "D1110", "100.00"),
            proc("clean2", "D1110", "100.00", date="2025-07-01"),
            plans=[
                pct(
                    cov=HALF,
                    ded={"general": "50.00"},
                    max={"general": "1000.00"},
                    freq=[freq_row("code:D1110", "calendar_year")],
                )
            ],
            history=[
                paid(procedure="c", amount="700.00", deductible="50.00"),
                paid(procedure="clean", amount="50.00"),
            ],
            mode="single_procedure",
        ),
        # d: deductible met by the claim, 500 capped at 1000 - 700 - 50 = 250;
        # clean2: the claimed cleaning uses the yearly limit
        {
            "d/p": {"deductible": "0.00", "ins_estimate": "250.00", "notes": ["over_annual_max"]},
            "clean2/p": {"ins_estimate": "0.00", "notes": ["frequency_limit"]},
        },
    ),
    case(
        "s21-claimed-line-repeats-the-entry-with-its-own-date",
        crown(
            ppo("a", 1, allowed=allowed("800.00"), cov=HALF),
            history=[paid(procedure="c", amount="350.00", plan="a", date="2025-06-01")],
            mode="treatment_plan",
        ),
        {"c/a": paid_out("350.00", notes=["claim_paid"])},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), CLAIM_CASES)
def test_claims_already_paid_or_sent(doc, expect):
    check(run(doc), expect)
