"""Frequency limits: rules document section 18 (what counts, the window, the area) and
section 24 point 13. Contract 3.7 (`frequencies`) and 3.8 (which history counts).

Pure tests: the engine's public API on contract-shaped dicts, no database.
"""

import pytest

from tests.insurance.engine.rules_support import (
    ALL,
    DENIED_FREQ,
    case,
    check,
    elsewhere,
    freq_row,
    paid,
    paid_out,
    pct,
    pending,
    proc,
    run,
    scenario,
    used,
)

ALLOWED = paid_out("100.00", notes=[])
DENIED = {**DENIED_FREQ, "deductible": "0.00"}
ONCE_A_YEAR = freq_row("code:D1110", "calendar_year")


def cleaning(limit, *history, plan_kw=None, line=None, **kw):
    """A $100 cleaning (D1110) on a 100% plan with one frequency limit."""
    return scenario(
        line or proc("x", "D1110", "100.00"),
        plans=[pct(cov=ALL, freq=[limit], **(plan_kw or {}))],
        history=history,
        **kw,
    )


def two_lines(limit, first_date, second_date="2025-06-15"):
    """Two cleanings in order: does the first (dated first_date) count for the second?"""
    return scenario(
        proc("a", "D1110", "100.00", date=first_date),
        proc("b", "D1110", "100.00", date=second_date),
        plans=[pct(cov=ALL, freq=[limit])],
    )


WINDOW_CASES = [
    case(
        "s18-calendar-year-met",
        cleaning(ONCE_A_YEAR, paid("D1110", "2025-01-05", "80.00")),
        {"x/p": DENIED, "x": {"patient_portion": "100.00"}},
    ),
    case(
        "s18-calendar-year-last-year-does-not-count",
        cleaning(ONCE_A_YEAR, paid("D1110", "2024-12-31", "80.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-calendar-year-ignores-the-renewal-month",
        cleaning(
            ONCE_A_YEAR,
            paid("D1110", "2025-01-05", "80.00"),
            plan_kw={"renewal_month": 7},
            as_of="2025-08-01",
        ),
        {"x/p": DENIED},
    ),
    case(
        "s18-benefit-year-follows-the-renewal-month",
        cleaning(
            freq_row("code:D1110", "benefit_year"),
            paid("D1110", "2025-01-05", "80.00"),
            plan_kw={"renewal_month": 7},
            as_of="2025-08-01",
        ),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-benefit-year-first-day-counts",
        cleaning(
            freq_row("code:D1110", "benefit_year"),
            paid("D1110", "2024-07-01", "80.00"),
            plan_kw={"renewal_month": 7},
        ),
        {"x/p": DENIED},
    ),
    case(
        "s18-benefit-year-day-before-does-not",
        cleaning(
            freq_row("code:D1110", "benefit_year"),
            paid("D1110", "2024-06-30", "80.00"),
            plan_kw={"renewal_month": 7},
        ),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-last-12-months-exactly-12-months-ago-does-not-count",
        cleaning(freq_row("code:D1110", "last_12_months"), paid("D1110", "2024-06-15", "80.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-last-12-months-one-day-less-counts",
        cleaning(freq_row("code:D1110", "last_12_months"), paid("D1110", "2024-06-16", "80.00")),
        {"x/p": DENIED},
    ),
    case(
        "s18-last-12-months-looks-after-the-date-too",
        two_lines(freq_row("code:D1110", "last_12_months"), "2026-06-14"),
        {"a/p": ALLOWED, "b/p": DENIED},
    ),
    case(
        "s18-last-12-months-exactly-12-months-after-does-not-count",
        two_lines(freq_row("code:D1110", "last_12_months"), "2026-06-15"),
        {"b/p": ALLOWED},
    ),
    case(
        "s18-months-n-includes-exactly-n-months-before",
        cleaning(freq_row("code:D1110", "months:6"), paid("D1110", "2024-12-15", "80.00")),
        {"x/p": DENIED},
    ),
    case(
        "s18-months-n-one-day-more-does-not-count",
        cleaning(freq_row("code:D1110", "months:6"), paid("D1110", "2024-12-14", "80.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-months-n-includes-exactly-n-months-after",
        two_lines(freq_row("code:D1110", "months:6"), "2025-12-15"),
        {"b/p": DENIED},
    ),
    case(
        "s18-months-n-after-one-day-more-does-not-count",
        two_lines(freq_row("code:D1110", "months:6"), "2025-12-16"),
        {"b/p": ALLOWED},
    ),
    case(
        "s18-years-n-includes-exactly-n-years",
        cleaning(freq_row("code:D1110", "years:5"), paid("D1110", "2020-06-15", "80.00")),
        {"x/p": DENIED},
    ),
    case(
        "s18-years-n-one-day-more-does-not-count",
        cleaning(freq_row("code:D1110", "years:5"), paid("D1110", "2020-06-14", "80.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-years-n-looks-after-the-date-too-inclusive",
        two_lines(freq_row("code:D1110", "years:1"), "2026-06-15"),
        {"b/p": DENIED},
    ),
    case(
        "s18-count-not-reached",
        cleaning(
            freq_row("code:D1110", "calendar_year", count=2), paid("D1110", "2025-01-05", "80.00")
        ),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-count-reached",
        cleaning(
            freq_row("code:D1110", "calendar_year", count=2),
            paid("D1110", "2025-01-05", "80.00"),
            paid("D1110", "2025-04-05", "80.00"),
        ),
        {"x/p": DENIED},
    ),
    case(
        "s18-any-one-limit-met-denies",
        scenario(
            proc("x", "D1110", "100.00"),
            plans=[
                pct(
                    cov=ALL,
                    freq=[
                        freq_row("code_group:D1110,D1120", "calendar_year", count=2),
                        freq_row("code:D1110", "months:6"),
                    ],
                )
            ],
            history=[paid("D1110", "2025-01-10", "80.00")],
        ),
        {"x/p": DENIED},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), WINDOW_CASES)
def test_frequency_windows(doc, expect):
    check(run(doc), expect)


TWICE_A_YEAR = freq_row("code:D1110", "calendar_year", count=2)

COUNTING_CASES = [
    case(
        "s18-payment-rows-of-one-service-count-once",
        cleaning(
            TWICE_A_YEAR,
            paid("D1110", "2025-01-05", "50.00", service="visit-1"),
            paid("D1110", "2025-01-05", "30.00", service="visit-1"),
        ),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-rows-without-service-count-separately",
        cleaning(
            TWICE_A_YEAR,
            paid("D1110", "2025-01-05", "50.00"),
            paid("D1110", "2025-01-05", "30.00"),
        ),
        {"x/p": DENIED},
    ),
    case(
        "s18-zero-paid-service-does-not-count",
        cleaning(ONCE_A_YEAR, paid("D1110", "2025-01-05", "0.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-paid-without-amount-is-zero-paid",
        cleaning(ONCE_A_YEAR, paid("D1110", "2025-01-05")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-done-elsewhere-counts",
        cleaning(ONCE_A_YEAR, elsewhere("D1110", "2025-01-05")),
        {"x/p": DENIED},
    ),
    case(
        "s18-pending-claim-counts",
        cleaning(ONCE_A_YEAR, pending("D1110", "2025-05-05", "80.00")),
        {"x/p": DENIED},
    ),
    case(
        "s18-pending-claim-of-zero-does-not-count",
        cleaning(ONCE_A_YEAR, pending("D1110", "2025-05-05", "0.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-benefits-used-never-counts",
        cleaning(ONCE_A_YEAR, used("2025-01-05", amount="80.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-family-members-never-count",
        cleaning(
            ONCE_A_YEAR,
            paid("D1110", "2025-01-05", "80.00", member="kid"),
            elsewhere("D1110", "2025-01-05", member="kid"),
            family=["kid"],
        ),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-another-plans-history-does-not-count",
        scenario(
            proc("x", "D1110", "100.00"),
            plans=[
                pct("p", 1, cov={"general": 50}, freq=[ONCE_A_YEAR]),
                pct("q", 2, cov={"general": 50}, freq=[ONCE_A_YEAR]),
            ],
            history=[paid("D1110", "2025-01-05", "80.00", plan="q")],
        ),
        {"x/p": paid_out("50.00", notes=[]), "x/q": DENIED},
    ),
    case(
        "s18-code-group-counts-every-code-in-it",
        cleaning(
            freq_row("code_group:D1110,D1120", "calendar_year"),
            paid("D1120", "2025-01-05", "80.00"),
        ),
        {"x/p": DENIED},
    ),
    case(
        "s18-codes-outside-the-limit-do-not-count",
        cleaning(ONCE_A_YEAR, paid("D1120", "2025-01-05", "80.00")),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-earlier-line-counts-and-denied-line-takes-no-deductible",
        scenario(
            proc("a", "D1110", "100.00"),
            proc("b", "D1110", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "50.00"}, freq=[ONCE_A_YEAR])],
        ),
        {"a/p": {"deductible": "50.00", "ins_estimate": "50.00"}, "b/p": DENIED},
    ),
    case(
        "s18-earlier-line-paid-nothing-does-not-count",
        scenario(
            proc("a", "D1110", "100.00"),
            proc("b", "D1110", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "100.00"}, freq=[ONCE_A_YEAR])],
        ),
        # a: the deductible takes all 100, the plan pays 0 -> a does not use the limit
        {
            "a/p": {"deductible": "100.00", "ins_estimate": "0.00", "notes": []},
            "b/p": {"deductible": "0.00", "ins_estimate": "100.00", "notes": []},
        },
    ),
    case(
        "s18-denied-line-uses-no-deductible-and-no-maximum",
        scenario(
            proc("clean", "D1110", "100.00"),
            proc("fill", "D2391", "150.00"),
            plans=[
                pct(
                    cov=ALL,
                    ded={"general": "50.00"},
                    max={"general": "100.00"},
                    freq=[ONCE_A_YEAR],
                )
            ],
            history=[paid("D1110", "2025-01-05", "0.01")],
        ),
        # fill: 150 - 50 = 100, the maximum has 100 - 0.01 left
        {
            "clean/p": DENIED,
            "fill/p": {
                "deductible": "50.00",
                "ins_estimate": "99.99",
                "notes": ["over_annual_max"],
            },
        },
    ),
    case(
        "s18-single-procedure-lines-do-not-count",
        scenario(
            proc("a", "D1110", "100.00"),
            proc("b", "D1110", "100.00"),
            plans=[pct(cov=ALL, freq=[ONCE_A_YEAR])],
            mode="single_procedure",
        ),
        {"a/p": ALLOWED, "b/p": ALLOWED},
    ),
    case(
        "s18-frequency-note-after-maximum-note",
        cleaning(
            ONCE_A_YEAR,
            paid("D1110", "2025-01-05", "80.00"),
            paid("D2740", "2025-02-05", "1000.00"),
            plan_kw={"max": {"general": "1000.00"}},
        ),
        {"x/p": {**DENIED_FREQ, "notes": ["over_annual_max", "frequency_limit"]}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), COUNTING_CASES)
def test_frequency_what_counts(doc, expect):
    check(run(doc), expect)


def area(area_value, line_site, hist_site):
    """A filling at line_site; the same code paid at hist_site last year; once every 5 years."""
    return scenario(
        proc("x", "D2391", "100.00", **line_site),
        plans=[pct(cov=ALL, freq=[freq_row("code:D2391", "years:5", area=area_value)])],
        history=[paid("D2391", "2024-01-10", "50.00", **hist_site)],
    )


AREA_CASES = [
    case(
        "s18-area-mouth-any-service",
        area("mouth", {"tooth": "3"}, {"tooth": "14"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-tooth-same-tooth-any-surfaces",
        area("tooth", {"tooth": "3", "surfaces": "MO"}, {"tooth": "3", "surfaces": "O"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-tooth-other-tooth",
        area("tooth", {"tooth": "3"}, {"tooth": "14"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-area-tooth-primary-tooth",
        area("tooth", {"tooth": "A"}, {"tooth": "A"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-arch-quadrant-in-arch",
        area("arch", {"arch": "U"}, {"quadrant": "UR"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-arch-quadrant-other-arch",
        area("arch", {"arch": "U"}, {"quadrant": "LL"}),
        {"x/p": ALLOWED},
    ),
    case("s18-area-arch-tooth-arch", area("arch", {"arch": "U"}, {"tooth": "3"}), {"x/p": DENIED}),
    case(
        "s18-area-arch-line-tooth-vs-arch",
        area("arch", {"tooth": "30"}, {"arch": "L"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-arch-teeth-same-arch",
        area("arch", {"tooth": "30"}, {"tooth": "19"}),
        {"x/p": DENIED},
    ),
    case(
        # a tooth range's arch is its first tooth's: 15-18 is an upper-arch service
        "s18-area-arch-tooth-range-first-tooth",
        area("arch", {"arch": "L"}, {"tooth_range": "15-18"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-area-arch-tooth-range-first-tooth-upper",
        area("arch", {"arch": "U"}, {"tooth_range": "15-18"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-tooth-range-overlap",
        area("tooth_range", {"tooth_range": "7-10"}, {"tooth_range": "10-12"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-area-tooth-range-no-overlap",
        area("tooth_range", {"tooth_range": "7-10"}, {"tooth_range": "11-12"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-same-site-same-surfaces-any-order",
        area(None, {"tooth": "3", "surfaces": "MO"}, {"tooth": "3", "surfaces": "OM"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-same-site-other-surfaces",
        area(None, {"tooth": "3", "surfaces": "MO"}, {"tooth": "3", "surfaces": "O"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-same-site-other-tooth",
        area(None, {"tooth": "3", "surfaces": "MO"}, {"tooth": "14", "surfaces": "MO"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-same-site-tooth-inside-range",
        area(None, {"tooth": "8"}, {"tooth_range": "7-10"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-same-site-tooth-outside-range",
        area(None, {"tooth": "11"}, {"tooth_range": "7-10"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-same-site-overlapping-ranges",
        area(None, {"tooth_range": "7-9"}, {"tooth_range": "9-11"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-same-site-both-arch-or-quadrant",
        area(None, {"quadrant": "UR"}, {"arch": "L"}),
        {"x/p": DENIED},
    ),
    case(
        "s18-same-site-tooth-vs-quadrant",
        area(None, {"tooth": "3"}, {"quadrant": "UR"}),
        {"x/p": ALLOWED},
    ),
    case(
        "s18-unplaced-services-always-match",
        area("tooth", {}, {}),
        {"x/p": DENIED},
    ),
    case(
        "s18-unplaced-line-vs-placed-service-same-site",
        area(None, {}, {"tooth": "3"}),
        {"x/p": ALLOWED},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), AREA_CASES)
def test_frequency_areas(doc, expect):
    check(run(doc), expect)
