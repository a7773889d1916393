"""Deductibles and the benefit year: rules document sections 10 (with its worked example)
and 11.

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    ALL,
    HALF,
    case,
    check,
    fam,
    life,
    paid,
    pct,
    pending,
    ppo,
    proc,
    run,
    scenario,
    used,
)

FAMILY = ["kid1", "kid2"]


# Section 10: deductibles --------------------------------------------------------------------

DEDUCTIBLE_CASES = [
    case(
        # The worked example: general $100, X-ray category $20; a $60 panoramic X-ray first
        # takes $20, a $150 exam then takes what is left of the general $100: $80.
        "s10-worked-general-and-xray-buckets",
        scenario(
            proc("pano", "D0330", "60.00"),
            proc("exam", "D0150", "150.00"),
            plans=[pct(cov=ALL, ded={"general": "100.00", "category:diagnostic_xray": "20.00"})],
        ),
        {
            "pano/p": {"deductible": "20.00", "base_estimate": "60.00", "ins_estimate": "40.00"},
            "exam/p": {"deductible": "80.00", "ins_estimate": "70.00"},
        },
    ),
    case(
        # ... had a paid claim already applied the full $100 to the exam, the X-ray owes
        # nothing: $20 is left in the X-ray bucket, nothing in the general one.
        "s10-worked-general-bucket-used-up-by-a-claim",
        scenario(
            proc("pano", "D0330", "60.00"),
            plans=[pct(cov=ALL, ded={"general": "100.00", "category:diagnostic_xray": "20.00"})],
            history=[paid("D0150", "2025-02-01", "50.00", deductible="100.00")],
        ),
        {"pano/p": {"deductible": "0.00", "ins_estimate": "60.00"}},
    ),
    case(
        "s10-category-bucket-smaller-than-general",
        scenario(
            proc("pano", "D0330", "60.00"),
            plans=[pct(cov=ALL, ded={"general": "100.00", "category:diagnostic_xray": "20.00"})],
            history=[paid("D0220", "2025-02-01", "10.00", deductible="15.00")],
        ),
        # general left 100 - 15 = 85, X-ray left 20 - 15 = 5 -> the smaller, 5
        {"pano/p": {"deductible": "5.00", "ins_estimate": "55.00"}},
    ),
    case(
        "s10-deductible-taken-before-the-percentage",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[ppo(allowed={"D2740": "800.00"}, cov=HALF, ded={"general": "50.00"})],
        ),
        # (800 - 50) x 50% = 375, not 800 x 50% - 50 = 350
        {"c/p": {"deductible": "50.00", "base_estimate": "400.00", "ins_estimate": "375.00"}},
    ),
    case(
        "s10-never-more-than-allowed-minus-copay",
        scenario(
            proc("clean", "D1110", "80.00"),
            proc("fill", "D2391", "200.00"),
            plans=[
                ppo(
                    allowed={"D1110": "30.00", "D2391": "150.00"},
                    cov={"category:preventive": 80, "category:restorative": 80},
                    ded={"general": "50.00"},
                )
            ],
        ),
        # clean: deductible 30 (all of the allowed), 0 paid, base 24, write-off 50 kept;
        # fill: 20 left, (150 - 20) x 80% = 104
        {
            "clean/p": {
                "deductible": "30.00",
                "base_estimate": "24.00",
                "ins_estimate": "0.00",
                "writeoff": "50.00",
                "notes": [],
            },
            "clean": {"patient_portion": "30.00"},
            "fill/p": {"deductible": "20.00", "base_estimate": "120.00", "ins_estimate": "104.00"},
        },
    ),
    case(
        "s10-never-more-than-allowed-minus-copay-with-copay",
        scenario(
            proc("f", "D2391", "200.00"),
            plans=[
                ppo(
                    allowed={"D2391": "150.00"},
                    copay={"D2391": "120.00"},
                    cov=ALL,
                    ded={"general": "50.00"},
                )
            ],
        ),
        {"f/p": {"copay": "120.00", "deductible": "30.00", "ins_estimate": "0.00"}},
    ),
    case(
        "s10-no-deductible-on-an-excluded-code",
        scenario(
            proc("c", "D2740", "1000.00"),
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=HALF, ded={"general": "50.00"}, excl=["code:D2740"])],
        ),
        {
            "c/p": {"deductible": "0.00", "ins_estimate": "0.00", "notes": ["excluded"]},
            "f/p": {"deductible": "50.00", "ins_estimate": "25.00"},
        },
    ),
    case(
        "s10-no-deductible-on-a-zero-percent-code",
        scenario(
            proc("x", "D7140", "200.00"),
            proc("f", "D2391", "100.00"),
            plans=[pct(cov={"category:restorative": 80}, ded={"general": "50.00"})],
        ),
        {
            "x/p": {"deductible": "0.00", "notes": ["not_covered"]},
            "f/p": {"deductible": "50.00", "ins_estimate": "40.00"},
        },
    ),
    case(
        "s10-zero-row-waives-the-deductible",
        scenario(
            proc("clean", "D1110", "100.00"),
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "50.00", "category:preventive": "0.00"})],
        ),
        {"clean/p": {"deductible": "0.00"}, "f/p": {"deductible": "50.00"}},
    ),
    case(
        "s10-no-matching-row-no-deductible",
        scenario(
            proc("clean", "D1110", "100.00"),
            plans=[pct(cov=ALL, ded={"category:restorative": "50.00"})],
        ),
        {"clean/p": {"deductible": "0.00", "ins_estimate": "100.00"}},
    ),
    case(
        "s10-deductible-met-entry-fills-the-general-bucket",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "100.00", "category:restorative": "50.00"})],
            history=[used("2025-01-20", deductible="80.00")],
        ),
        # general left 20, restorative left 50 (the entry has no code) -> 20
        {"f/p": {"deductible": "20.00"}},
    ),
    case(
        "s10-general-bucket-counts-every-code",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "100.00", "category:restorative": "100.00"})],
            history=[paid("D4341", "2025-02-01", "90.00", deductible="60.00")],
        ),
        # general left 40, restorative left 100 -> 40
        {"f/p": {"deductible": "40.00"}},
    ),
    case(
        "s10-without-general-only-in-scope-codes-count",
        scenario(
            proc("f", "D2391", "100.00"),
            proc("srp", "D4342", "100.00"),
            plans=[
                pct(
                    cov=ALL, ded={"category:restorative": "50.00", "category:periodontics": "50.00"}
                )
            ],
            history=[paid("D4341", "2025-02-01", "90.00", deductible="50.00")],
            mode="single_procedure",
        ),
        {"f/p": {"deductible": "50.00"}, "srp/p": {"deductible": "0.00"}},
    ),
    case(
        "s10-without-general-deductible-met-entry-fills-the-bucket",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"category:restorative": "50.00"})],
            history=[used("2025-01-20", deductible="30.00")],
        ),
        {"f/p": {"deductible": "20.00"}},
    ),
    case(
        "s10-diagnostic-and-preventive-deductibles-are-shared",
        scenario(
            proc("clean", "D1110", "100.00"),
            plans=[
                pct(cov=ALL, ded={"category:diagnostic": "50.00", "category:preventive": "50.00"})
            ],
            history=[paid("D0150", "2025-02-01", "20.00", deductible="50.00")],
        ),
        {"clean/p": {"deductible": "0.00", "ins_estimate": "100.00"}},
    ),
    case(
        "s10-shared-diagnostic-and-preventive-bucket-with-a-general-deductible",
        scenario(
            proc("clean", "D1110", "100.00"),
            plans=[
                pct(
                    cov=ALL,
                    ded={
                        "general": "100.00",
                        "category:diagnostic": "50.00",
                        "category:preventive": "50.00",
                    },
                )
            ],
            history=[paid("D0150", "2025-02-01", "20.00", deductible="50.00")],
        ),
        # general left 50; the shared diagnostic-and-preventive bucket left 0 -> 0
        {"clean/p": {"deductible": "0.00"}},
    ),
    case(
        "s10-other-category-deductibles-are-not-shared",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[
                pct(cov=ALL, ded={"category:diagnostic": "50.00", "category:restorative": "50.00"})
            ],
            history=[paid("D0150", "2025-02-01", "20.00", deductible="50.00")],
        ),
        {"f/p": {"deductible": "50.00"}},
    ),
    case(
        "s10-tie-takes-the-larger-deductible",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[
                pct(
                    cov=ALL,
                    ded=[
                        {"scope": "code:D2391", "amount": "25.00"},
                        {"scope": "code:D2391", "amount": "75.00"},
                    ],
                )
            ],
        ),
        {"f/p": {"deductible": "75.00"}},
    ),
    case(
        "s10-family-deductible-caps-the-individual-one",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[
                pct(
                    cov=ALL, ded=[{"scope": "general", "amount": "50.00"}, fam("general", "100.00")]
                )
            ],
            history=[
                paid("D2391", "2025-02-01", "10.00", deductible="50.00", member="kid1"),
                paid("D1110", "2025-03-01", "10.00", deductible="40.00", member="kid2"),
            ],
            family=FAMILY,
        ),
        # individual left 50, family left 100 - 90 = 10 -> 10
        {"f/p": {"deductible": "10.00", "ins_estimate": "90.00"}},
    ),
    case(
        "s10-family-members-do-not-touch-the-individual-deductible",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[
                pct(
                    cov=ALL, ded=[{"scope": "general", "amount": "50.00"}, fam("general", "300.00")]
                )
            ],
            history=[paid("D2391", "2025-02-01", "10.00", deductible="50.00", member="kid1")],
            family=FAMILY,
        ),
        {"f/p": {"deductible": "50.00"}},
    ),
    case(
        "s10-family-row-never-creates-a-deductible",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded=[fam("general", "150.00")])],
            family=FAMILY,
        ),
        {"f/p": {"deductible": "0.00"}},
    ),
    case(
        "s10-family-deductible-counts-earlier-lines",
        scenario(
            proc("a", "D2391", "100.00"),
            proc("b", "D2392", "100.00"),
            plans=[
                pct(
                    cov=ALL, ded=[{"scope": "general", "amount": "50.00"}, fam("general", "100.00")]
                )
            ],
            history=[paid("D2391", "2025-02-01", "10.00", deductible="60.00", member="kid1")],
            family=FAMILY,
        ),
        # a: min(50, 100 - 60) = 40; b: individual left 10, family left 0 -> 0
        {"a/p": {"deductible": "40.00"}, "b/p": {"deductible": "0.00"}},
    ),
    case(
        "s10-lifetime-deductible-counts-every-year",
        scenario(
            proc("o", "D8080", "2000.00"),
            plans=[
                pct(
                    cov={"category:orthodontics": 50}, ded=[life("category:orthodontics", "100.00")]
                )
            ],
            history=[paid("D8080", "2022-03-01", "500.00", deductible="60.00")],
        ),
        # 40 left; (2000 - 40) x 50% = 980
        {"o/p": {"deductible": "40.00", "ins_estimate": "980.00"}},
    ),
    case(
        "s10-benefit-year-deductible-resets",
        scenario(
            proc("o", "D8080", "2000.00"),
            plans=[pct(cov={"category:orthodontics": 50}, ded={"category:orthodontics": "100.00"})],
            history=[paid("D8080", "2024-12-31", "500.00", deductible="60.00")],
        ),
        {"o/p": {"deductible": "100.00"}},
    ),
    case(
        # The plan-wide row applies to every code (only maximums keep orthodontics out).
        "s10-general-deductible-applies-to-orthodontics",
        scenario(
            proc("o", "D8080", "2000.00"),
            plans=[pct(cov={"category:orthodontics": 50}, ded={"general": "50.00"})],
        ),
        {"o/p": {"deductible": "50.00", "ins_estimate": "975.00"}},
    ),
    case(
        "s10-earlier-line-in-same-year-uses-the-deductible",
        scenario(
            proc("a", "D2391", "100.00"),
            proc("b", "D2391", "100.00", tooth="3"),
            proc("c", "D2391", "100.00", date="2026-01-05"),
            plans=[pct(cov=ALL, ded={"general": "50.00"})],
        ),
        {
            "a/p": {"deductible": "50.00"},
            "b/p": {"deductible": "0.00"},
            "c/p": {"deductible": "50.00"},
        },
    ),
    case(
        "s10-pending-claim-deductible-counts",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "50.00"})],
            history=[pending("D2392", "2025-05-01", "40.00", deductible="30.00")],
        ),
        {"f/p": {"deductible": "20.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), DEDUCTIBLE_CASES)
def test_deductibles(doc, expect):
    check(run(doc), expect)


# Section 11: benefit year -------------------------------------------------------------------

BENEFIT_YEAR_CASES = [
    case(
        # Renewal in April: 2026-01-15 belongs to 2025-04-01...2026-03-31.
        "s11-renewal-month-maximum",
        scenario(
            proc("c", "D2740", "1000.00"),
            plans=[pct(cov={"general": 80}, max={"general": "1000.00"}, renewal_month=4)],
            history=[
                paid("D2391", "2025-04-01", "400.00"),  # counts
                paid("D2391", "2025-03-31", "300.00"),  # previous benefit year
            ],
            as_of="2026-01-15",
        ),
        {
            "c/p": {
                "ins_estimate": "600.00",
                "base_estimate": "800.00",
                "notes": ["over_annual_max"],
            }
        },
    ),
    case(
        "s11-renewal-month-deductible",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "50.00"}, renewal_month=4)],
            history=[
                paid("D2391", "2025-03-31", "10.00", deductible="50.00"),
                paid("D2391", "2025-04-01", "10.00", deductible="20.00"),
            ],
            as_of="2026-01-15",
        ),
        {"f/p": {"deductible": "30.00"}},
    ),
    case(
        "s11-calendar-year-by-default",
        scenario(
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "50.00"})],
            history=[paid("D2391", "2025-12-31", "10.00", deductible="50.00")],
            as_of="2026-01-01",
        ),
        {"f/p": {"deductible": "50.00"}},
    ),
    case(
        "s11-line-date-picks-the-benefit-year",
        scenario(
            proc("f", "D2391", "100.00", date="2025-07-01"),
            plans=[pct(cov=ALL, ded={"general": "50.00"}, renewal_month=7)],
            history=[paid("D2391", "2025-06-01", "10.00", deductible="50.00")],
            as_of="2025-06-15",
        ),
        {"f/p": {"deductible": "50.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), BENEFIT_YEAR_CASES)
def test_benefit_year(doc, expect):
    check(run(doc), expect)
