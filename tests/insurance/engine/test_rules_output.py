"""The missing-tooth clause and where benefit data came from (rules document sections 25 and
26), every setting of contract 3.5 on and off, and the output's shape (contract 4).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    CROWN_PPO,
    HALF,
    case,
    check,
    crown,
    paid,
    paid_out,
    pct,
    plan,
    ppo,
    proc,
    run,
    scenario,
)

# Section 25: the missing-tooth clause -----------------------------------------------------------

REPLACING = ("D5110", "D5899", "D6010", "D6199", "D6240", "D6999")
NOT_REPLACING = ("D5900", "D7140", "D2740", "D4999")

MISSING_TOOTH_CASES = [
    case(
        "s25-warning-on-lines-that-replace-teeth-amounts-unchanged",
        scenario(
            *[proc(code, code, "1000.00") for code in REPLACING + NOT_REPLACING],
            plans=[pct(cov=HALF, missing_tooth_clause=True)],
            mode="single_procedure",
        ),
        {
            **{
                f"{code}/p": paid_out("500.00", notes=["missing_tooth_clause"])
                for code in REPLACING
            },
            **{f"{code}/p": paid_out("500.00", notes=[]) for code in NOT_REPLACING},
        },
    ),
    case(
        "s25-no-clause-no-warning",
        scenario(proc("i", "D6010", "1000.00"), plans=[pct(cov=HALF, missing_tooth_clause=False)]),
        {"i/p": {"notes": []}},
    ),
    case(
        "s25-warning-after-other-notes",
        scenario(
            proc("i", "D6010", "1000.00"),
            plans=[pct(cov=HALF, excl=["category:implants"], missing_tooth_clause=True)],
        ),
        {"i/p": {"notes": ["excluded", "missing_tooth_clause"]}},
    ),
    case(
        "s25-only-on-the-plan-with-the-clause",
        scenario(
            proc("i", "D6010", "1000.00"),
            plans=[pct("a", 1, cov=HALF, missing_tooth_clause=True), pct("b", 2, cov=HALF)],
        ),
        {"i/a": {"notes": ["missing_tooth_clause"]}, "i/b": {"notes": []}},
    ),
    case(
        "s25-capitation-line-carries-the-warning-too",
        scenario(
            proc("i", "D6010", "1000.00"), plans=[plan("capitation", missing_tooth_clause=True)]
        ),
        {"i/p": {"notes": ["missing_tooth_clause"], "writeoff": "1000.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), MISSING_TOOTH_CASES)
def test_missing_tooth_clause(doc, expect):
    check(run(doc), expect)


# Section 26 / contract 4.3: where the benefit data came from, and its age ----------------------


def test_s26_benefits_verified_source_date_and_age():
    doc = scenario(
        plans=[
            pct("elig", 1, benefits_verified={"source": "eligibility_271", "on": "2025-06-15"}),
            pct("manual", 2, benefits_verified={"source": "manual", "on": "2025-05-16"}),
            pct("assumed", 3, benefits_verified={"source": "assumed", "on": None}),
            pct("none", 4),
        ]
    )
    assert run(doc)["plans"] == [
        {
            "plan": "elig",
            "benefits_source": "eligibility_271",
            "benefits_as_of": "2025-06-15",
            "benefits_age_days": 0,
        },
        {
            "plan": "manual",
            "benefits_source": "manual",
            "benefits_as_of": "2025-05-16",
            "benefits_age_days": 30,
        },
        {
            "plan": "assumed",
            "benefits_source": "assumed",
            "benefits_as_of": None,
            "benefits_age_days": None,
        },
        {
            "plan": "none",
            "benefits_source": None,
            "benefits_as_of": None,
            "benefits_age_days": None,
        },
    ]


def test_s26_benefits_age_counts_days_across_years():
    doc = scenario(
        plans=[pct(benefits_verified={"source": "manual", "on": "2024-12-31"})], as_of="2025-03-01"
    )
    # 2024-12-31 -> 2025-03-01: 1 + 31 + 28 + 1 = 60 days
    assert run(doc)["plans"][0]["benefits_age_days"] == 60


# Contract 4: the output's shape -----------------------------------------------------------------


def test_output_echoes_id_as_of_and_mode():
    result = run(scenario(proc("c", "D2740", "10.00"), id="case-7", mode="single_procedure"))
    assert set(result) == {"id", "as_of", "mode", "estimates", "procedures", "plans"}
    assert (result["id"], result["as_of"], result["mode"]) == (
        "case-7",
        "2025-06-15",
        "single_procedure",
    )


def test_output_without_id_has_no_id():
    assert "id" not in run(scenario(proc("c", "D2740", "10.00")))


def test_output_with_no_procedures():
    result = run(scenario(plans=[pct(cov=HALF)]))
    assert result["estimates"] == []
    assert result["procedures"] == []
    assert [row["plan"] for row in result["plans"]] == ["p"]


def test_output_one_estimate_per_line_per_plan_with_every_field():
    result = run(crown(ppo("a", 1, **CROWN_PPO), pct("b", 2, cov=HALF)))
    assert [(row["procedure"], row["plan"]) for row in result["estimates"]] == [
        ("c", "a"),
        ("c", "b"),
    ]
    assert set(result["estimates"][0]) == {
        "procedure",
        "plan",
        "allowed",
        "substituted_code",
        "copay",
        "deductible",
        "percentage",
        "base_estimate",
        "ins_estimate",
        "writeoff",
        "notes",
    }
    assert set(result["procedures"][0]) == {
        "procedure",
        "order",
        "fee",
        "ins_total",
        "writeoff_total",
        "patient_portion",
    }


# Contract 3.5: every setting on and off (the plan overrides beating them are in
# test_rules_writeoffs.py and test_rules_fees.py, next to the rules they change) --------------


def _with(settings, *lines, plans, history=()):
    return scenario(*lines, plans=plans, history=history, settings=settings)


SETTINGS_CASES = [
    case(
        "c3.5-secondary-ppo-writeoffs-off",
        _with(
            {"secondary_ppo_writeoffs": False},
            proc("c", "D2740", "1000.00"),
            plans=[pct("a", 1, cov=HALF), ppo("b", 2, **CROWN_PPO)],
        ),
        {"c/b": {"writeoff": "0.00"}},
    ),
    case(
        "c3.5-secondary-ppo-writeoffs-on",
        _with(
            {"secondary_ppo_writeoffs": True},
            proc("c", "D2740", "1000.00"),
            plans=[pct("a", 1, cov=HALF), ppo("b", 2, **CROWN_PPO)],
        ),
        # min(200, 500) = 200, cut to 1000 - 500 - 400 = 100
        {"c/b": {"writeoff": "100.00"}},
    ),
    *[
        case(
            f"c3.5-zero-writeoff-when-max-reached-{'on' if on else 'off'}",
            _with(
                {"zero_writeoff_when_max_reached": on},
                proc("c", "D2740", "1000.00"),
                plans=[ppo(**CROWN_PPO, max={"general": "100.00"})],
                history=[paid("D2391", "2025-01-02", "100.00")],
            ),
            {"c/p": {"ins_estimate": "0.00", "writeoff": "0.00" if on else "200.00"}},
        )
        for on in (True, False)
    ],
    *[
        case(
            f"c3.5-zero-writeoff-on-frequency-or-age-limit-{'on' if on else 'off'}",
            _with(
                {"zero_writeoff_on_frequency_or_age_limit": on},
                proc("c", "D2740", "1000.00"),
                plans=[ppo(**CROWN_PPO, age={"category:crowns": 20})],
            ),
            {"c/p": {"notes": ["age_limit"], "writeoff": "0.00" if on else "200.00"}},
        )
        for on in (True, False)
    ],
    *[
        case(
            f"c3.5-office-fee-for-exclusions-{'on' if on else 'off'}",
            scenario(
                proc("c", "D2740"),
                plans=[ppo(allowed={"D2740": "1100.00"}, cov=HALF, excl=["code:D2740"])],
                office_fees={"D2740": "1000.00"},
                settings={"office_fee_for_exclusions": on},
            ),
            {"c": {"fee": "1000.00" if on else "1100.00"}, "c/p": {"writeoff": "0.00"}},
        )
        for on in (True, False)
    ],
    *[
        case(
            f"c3.5-blank-fixed-benefit-is-zero-{'on' if on else 'off'}",
            _with(
                {"blank_fixed_benefit_is_zero": on},
                proc("c", "D2740", "1000.00"),
                plans=[plan("ppo_fixed_benefit", allowed={"D2740": "800.00"}, fixed_benefit={})],
            ),
            {
                "c/p": {
                    "ins_estimate": "0.00" if on else "800.00",
                    "copay": "800.00" if on else None,
                }
            },
        )
        for on in (True, False)
    ],
    *[
        case(
            f"c3.5-blank-copay-is-zero-{'on' if on else 'off'}",
            _with(
                {"blank_copay_is_zero": on},
                proc("c", "D2740", "1000.00"),
                plans=[ppo(**CROWN_PPO, copay={"D2750": "10.00"})],
            ),
            {
                "c/p": {
                    "ins_estimate": "400.00" if on else "0.00",
                    "copay": None if on else "800.00",
                }
            },
        )
        for on in (True, False)
    ],
    *[
        case(
            f"c3.5-blank-allowed-is-zero-{'on' if on else 'off'}",
            _with(
                {"blank_allowed_is_zero": on},
                proc("c", "D2740", "1000.00"),
                plans=[ppo(allowed={"D2750": "800.00"}, cov=HALF)],
            ),
            {
                "c/p": {
                    "allowed": "0.00" if on else "1000.00",
                    "ins_estimate": "0.00" if on else "500.00",
                }
            },
        )
        for on in (True, False)
    ],
    case(
        "c3.5-defaults",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[ppo(**CROWN_PPO, copay={"D2750": "10.00"}, max={"general": "100.00"})],
            history=[paid("D2391", "2025-01-02", "100.00")],
            settings={},
        ),
        # blank copay is no copay; the write-off stays at the maximum
        {"c/p": {"copay": None, "ins_estimate": "0.00", "writeoff": "200.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), SETTINGS_CASES)
def test_settings(doc, expect):
    check(run(doc), expect)
