"""Limits on what a plan pays: rules document sections 15 (age limits), 16 (maximums, with
the family-maximum worked example) and 19 (waiting periods). Deductibles are in
test_rules_deductibles.py, frequency limits in test_rules_frequency.py.

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
    paid_out,
    pct,
    pending,
    ppo,
    proc,
    run,
    scenario,
    used,
)

# Section 15: age limits ---------------------------------------------------------------------

SEALANT_PLAN = ppo(
    allowed={"D1351": "40.00"}, cov={"category:preventive": 100}, age={"code:D1351": 13}
)
AGE_DENIED = {"base_estimate": "40.00", "ins_estimate": "0.00", "notes": ["age_limit"]}

AGE_CASES = [
    case(
        # Through age 13: covered the day before the 14th birthday, not on it.
        "s15-through-age-n-on-the-birthday",
        scenario(
            proc("before", "D1351", "60.00", date="2025-06-14"),
            proc("on", "D1351", "60.00", date="2025-06-15"),
            plans=[SEALANT_PLAN],
            birth_date="2011-06-15",
            mode="single_procedure",
        ),
        {
            "before/p": paid_out("40.00", notes=[]),
            "on/p": {**AGE_DENIED, "writeoff": "20.00"},
            "on": {"patient_portion": "40.00"},
        },
    ),
    case(
        "s15-age-on-the-date-of-service-not-as-of",
        scenario(
            proc("later", "D1351", "60.00", date="2026-01-10"),
            plans=[SEALANT_PLAN],
            birth_date="2012-01-10",
            as_of="2025-06-15",
        ),
        {"later/p": AGE_DENIED},
    ),
    case(
        "s15-given-age-n-is-covered",
        scenario(proc("s", "D1351", "60.00"), plans=[SEALANT_PLAN], age=13),
        {"s/p": paid_out("40.00", notes=[])},
    ),
    case(
        "s15-given-age-over-n-is-not",
        scenario(proc("s", "D1351", "60.00"), plans=[SEALANT_PLAN], age=14),
        {"s/p": AGE_DENIED},
    ),
    case(
        "s15-leap-day-birthday-completed-years",
        scenario(
            proc("feb28", "D1351", "60.00", date="2026-02-28"),
            proc("mar1", "D1351", "60.00", date="2026-03-01"),
            plans=[SEALANT_PLAN],
            birth_date="2012-02-29",
            mode="single_procedure",
        ),
        # 13 on 2026-02-28 (birthday not reached), 14 on 2026-03-01
        {"feb28/p": paid_out("40.00"), "mar1/p": AGE_DENIED},
    ),
    case(
        "s15-most-specific-age-row",
        scenario(
            proc("s", "D1351", "60.00"),
            plans=[
                ppo(
                    allowed={"D1351": "40.00"},
                    cov={"category:preventive": 100},
                    age={"category:preventive": 18, "code:D1351": 14},
                )
            ],
            age=16,
        ),
        {"s/p": AGE_DENIED},
    ),
    case(
        "s15-age-limit-checked-before-maximums-uses-nothing",
        scenario(
            proc("s", "D1351", "60.00"),
            proc("clean", "D1110", "40.00"),
            plans=[
                ppo(
                    allowed={"D1351": "40.00", "D1110": "40.00"},
                    cov={"category:preventive": 100},
                    age={"code:D1351": 13},
                    max={"general": "50.00"},
                )
            ],
            age=20,
        ),
        # the sealant pays 0 (no maximum note: 50 is left); the cleaning still sees 50 left
        {"s/p": AGE_DENIED, "clean/p": paid_out("40.00", notes=[])},
    ),
    case(
        # ambiguous: section 10 takes no deductible on excluded / 0% codes, and sections 18-19
        # zero the deductible of frequency / waiting-period denials, but nothing says so for
        # an age limit; the engine applies the deductible (and later lines see it used).
        "s15-age-limited-line-still-applies-deductible-ambiguous",
        scenario(
            proc("s", "D1351", "60.00"),
            proc("f", "D2391", "100.00"),
            plans=[pct(cov=ALL, ded={"general": "50.00"}, age={"code:D1351": 13})],
            age=20,
        ),
        {
            "s/p": {
                "deductible": "50.00",
                "base_estimate": "60.00",
                "ins_estimate": "0.00",
                "notes": ["age_limit"],
            },
            "f/p": {"deductible": "0.00", "ins_estimate": "100.00"},
        },
    ),
]


@pytest.mark.parametrize(("doc", "expect"), AGE_CASES)
def test_age_limits(doc, expect):
    check(run(doc), expect)


# Section 16: maximums -----------------------------------------------------------------------

CROWN_640 = proc("crown", "D2740", "1280.00")  # 50% -> 640.00
ANNUAL = {"scope": "general", "amount": "1500.00"}

MAXIMUM_CASES = [
    case(
        # The worked example: $1500 individual, $3000 family; a child used $2700 this year;
        # the patient's $640 crown is limited by the family maximum to $300.
        "s16-worked-family-maximum-child",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL, fam("general", "3000.00")])],
            history=[paid("D2740", "2025-02-01", "2700.00", member="child")],
            family=["child"],
        ),
        {
            "crown/p": {
                "base_estimate": "640.00",
                "ins_estimate": "300.00",
                "notes": ["over_family_annual_max"],
            },
            "crown": {"patient_portion": "980.00"},
        },
    ),
    case(
        # ... had $900 of the child's usage been orthodontic, it would not have counted.
        "s16-worked-family-maximum-child-orthodontics-not-counted",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL, fam("general", "3000.00")])],
            history=[
                paid("D2740", "2025-02-01", "1800.00", member="child"),
                paid("D8080", "2025-03-01", "900.00", member="child"),
            ],
            family=["child"],
        ),
        {"crown/p": paid_out("640.00", notes=[])},
    ),
    case(
        "s16-family-maximum-without-individual-one",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[fam("general", "1000.00")])],
            history=[paid("D2740", "2025-02-01", "800.00", member="child")],
            family=["child"],
        ),
        {"crown/p": {"ins_estimate": "200.00", "notes": ["over_family_annual_max"]}},
    ),
    case(
        "s16-family-maximum-counts-the-patient-too",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[fam("general", "1000.00")])],
            history=[
                paid("D2391", "2025-02-01", "500.00"),
                paid("D2391", "2025-03-01", "300.00", member="child"),
            ],
            family=["child"],
        ),
        {"crown/p": {"ins_estimate": "200.00", "notes": ["over_family_annual_max"]}},
    ),
    case(
        "s16-individual-maximum-ignores-family-members",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL])],
            history=[paid("D2740", "2025-02-01", "1500.00", member="child")],
            family=["child"],
        ),
        {"crown/p": paid_out("640.00", notes=[])},
    ),
    case(
        "s16-both-maximums-reduce-both-notes",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL, fam("general", "3000.00")])],
            history=[
                paid("D2391", "2025-02-01", "1000.00"),
                paid("D2391", "2025-02-01", "1700.00", member="child"),
            ],
            family=["child"],
        ),
        # individual left 500 -> 500; family left 300 -> 300
        {
            "crown/p": {
                "ins_estimate": "300.00",
                "notes": ["over_annual_max", "over_family_annual_max"],
            }
        },
    ),
    case(
        "s16-family-has-more-left-individual-note-only",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL, fam("general", "3000.00")])],
            history=[
                paid("D2391", "2025-02-01", "1200.00"),
                paid("D2391", "2025-02-01", "1000.00", member="child"),
            ],
            family=["child"],
        ),
        # individual left 300, family left 800
        {"crown/p": {"ins_estimate": "300.00", "notes": ["over_annual_max"]}},
    ),
    case(
        # ambiguous: steps 1 and 3 of section 16 read literally give both notes when both
        # maximums are used up ("a note is added whenever a maximum ... was already used
        # up"); the engine notes only the individual maximum, which already made it 0.
        "s16-individual-and-family-both-used-up-ambiguous",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL, fam("general", "3000.00")])],
            history=[
                paid("D2391", "2025-02-01", "1500.00"),
                paid("D2391", "2025-02-01", "1500.00", member="child"),
            ],
            family=["child"],
        ),
        {"crown/p": {"ins_estimate": "0.00", "notes": ["over_annual_max"]}},
    ),
    case(
        # ambiguous: the maximum is used up but the estimate is already 0 (excluded); "used
        # up" alone would add the note, "reduced the estimate" would not. Engine: no note.
        "s16-used-up-maximum-on-an-excluded-line-ambiguous",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL], excl=["code:D2740"])],
            history=[paid("D2391", "2025-02-01", "1500.00")],
        ),
        {"crown/p": {"ins_estimate": "0.00", "notes": ["excluded"]}},
    ),
    case(
        "s16-orthodontics-outside-the-annual-maximum",
        scenario(
            proc("ortho", "D8080", "2000.00"),
            plans=[
                pct(
                    cov={"category:orthodontics": 50},
                    max=[ANNUAL, life("category:orthodontics", "1500.00")],
                )
            ],
            history=[paid("D2740", "2025-02-01", "1500.00")],
        ),
        {"ortho/p": paid_out("1000.00", notes=[])},
    ),
    case(
        "s16-orthodontics-without-own-maximum-is-unlimited",
        scenario(
            proc("ortho", "D8080", "2000.00"),
            plans=[pct(cov={"category:orthodontics": 50}, max=[ANNUAL])],
            history=[paid("D2740", "2025-02-01", "1500.00")],
        ),
        {"ortho/p": paid_out("1000.00", notes=[])},
    ),
    case(
        "s16-orthodontic-lifetime-maximum",
        scenario(
            proc("ortho", "D8080", "2000.00"),
            plans=[
                pct(
                    cov={"category:orthodontics": 50},
                    max=[life("category:orthodontics", "1500.00")],
                )
            ],
            history=[paid("D8080", "2019-09-01", "1200.00")],
        ),
        {
            "ortho/p": {
                "base_estimate": "1000.00",
                "ins_estimate": "300.00",
                "notes": ["over_lifetime_max"],
            }
        },
    ),
    case(
        "s16-family-lifetime-maximum",
        scenario(
            proc("ortho", "D8080", "2000.00"),
            plans=[
                pct(
                    cov={"category:orthodontics": 50},
                    max=[fam("category:orthodontics", "2000.00", period="lifetime")],
                )
            ],
            history=[paid("D8080", "2018-09-01", "1800.00", member="child")],
            family=["child"],
        ),
        {"ortho/p": {"ins_estimate": "200.00", "notes": ["over_family_lifetime_max"]}},
    ),
    case(
        "s16-orthodontic-payments-do-not-use-the-annual-maximum",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max={"general": "1000.00"})],
            history=[paid("D8080", "2025-02-01", "900.00")],
        ),
        {"crown/p": paid_out("640.00", notes=[])},
    ),
    case(
        "s16-implant-line-limited-only-by-its-own-maximum",
        scenario(
            proc("implant", "D6010", "2000.00"),
            plans=[
                pct(
                    cov={"general": 50},
                    max=[ANNUAL, {"scope": "category:implants", "amount": "3000.00"}],
                )
            ],
            history=[paid("D2740", "2025-02-01", "1500.00")],
        ),
        {"implant/p": paid_out("1000.00", notes=[])},
    ),
    case(
        "s16-implant-payments-do-not-use-the-annual-maximum",
        scenario(
            CROWN_640,
            plans=[
                pct(cov=HALF, max=[ANNUAL, {"scope": "category:implants", "amount": "3000.00"}])
            ],
            history=[paid("D6010", "2025-02-01", "1400.00")],
        ),
        {"crown/p": paid_out("640.00", notes=[])},
    ),
    case(
        "s16-implant-maximum-counts-implant-payments",
        scenario(
            proc("implant", "D6010", "2000.00"),
            plans=[
                pct(
                    cov={"general": 50},
                    max=[ANNUAL, {"scope": "category:implants", "amount": "3000.00"}],
                )
            ],
            history=[paid("D6010", "2025-02-01", "2600.00")],
        ),
        {"implant/p": {"ins_estimate": "400.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s16-earlier-implant-and-ortho-lines-do-not-use-the-annual-maximum",
        scenario(
            proc("implant", "D6010", "2000.00"),
            proc("ortho", "D8080", "2000.00"),
            CROWN_640,
            plans=[
                pct(
                    cov={"general": 50, "category:orthodontics": 50},
                    max=[
                        {"scope": "general", "amount": "700.00"},
                        {"scope": "category:implants", "amount": "3000.00"},
                    ],
                )
            ],
        ),
        # implant 1000 and ortho 1000 count only toward their own maximums; the crown's 640
        # fits in the 700
        {
            "implant/p": paid_out("1000.00", notes=[]),
            "ortho/p": paid_out("1000.00", notes=[]),
            "crown/p": paid_out("640.00", notes=[]),
        },
    ),
    case(
        "s16-code-maximum",
        scenario(
            proc("perio", "D4910", "100.00"),
            plans=[
                pct(cov={"general": 80}, max=[ANNUAL, {"scope": "code:D4910", "amount": "200.00"}])
            ],
            history=[paid("D4910", "2025-02-01", "150.00"), paid("D2740", "2025-02-01", "1500.00")],
        ),
        # own maximum: 200 - 150 = 50 left; the used-up annual one does not apply
        {
            "perio/p": {
                "ins_estimate": "50.00",
                "base_estimate": "80.00",
                "notes": ["over_annual_max"],
            }
        },
    ),
    case(
        "s16-deductible-met-entries-count-toward-the-plan-wide-maximum-only",
        scenario(
            CROWN_640,
            proc("implant", "D6010", "2000.00"),
            plans=[
                pct(cov=HALF, max=[ANNUAL, {"scope": "category:implants", "amount": "3000.00"}])
            ],
            history=[used("2025-01-20", amount="1200.00")],
            mode="single_procedure",
        ),
        {
            "crown/p": {"ins_estimate": "300.00", "notes": ["over_annual_max"]},
            "implant/p": paid_out("1000.00", notes=[]),
        },
    ),
    case(
        "s16-insurance-used-entries-count-toward-a-general-category-maximum",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max={"category:general": "1000.00"})],
            history=[used("2025-01-20", amount="800.00")],
        ),
        {"crown/p": {"ins_estimate": "200.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s16-without-a-general-category-plan-wide-maximum-limits-every-code",
        scenario(
            proc("ortho", "D8080", "2000.00"),
            plans=[pct(cov={"general": 50}, max={"general": "1000.00"})],
            history=[paid("D8080", "2025-02-01", "900.00")],
            categories=[{"name": "ortho", "order": 1, "spans": [["D8000", "D8999"]]}],
        ),
        {"ortho/p": {"ins_estimate": "100.00", "notes": ["over_annual_max"]}},
    ),
    case(
        # contract 3.4: a category named general is the General category, whatever its spans
        "s16-custom-general-category-bounds-the-plan-wide-maximum",
        scenario(
            proc("clean", "D1110", "100.00"),
            proc("fill", "D2391", "100.00"),
            plans=[pct(cov=ALL, max={"general": "100.00"})],
            history=[paid("D2391", "2025-02-01", "100.00")],
            categories=[
                {"name": "general", "order": 0, "spans": [["D2000", "D2999"]]},
                {"name": "preventive", "order": 1, "spans": [["D1000", "D1999"]]},
            ],
            mode="single_procedure",
        ),
        {
            "clean/p": paid_out("100.00", notes=[]),
            "fill/p": {"ins_estimate": "0.00", "notes": ["over_annual_max"]},
        },
    ),
    case(
        "s16-annual-maximum-counts-this-benefit-year-only",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL])],
            history=[paid("D2740", "2024-12-31", "1500.00")],
        ),
        {"crown/p": paid_out("640.00", notes=[])},
    ),
    case(
        "s16-pending-claims-count",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max={"general": "1000.00"})],
            history=[
                pending("D2391", "2025-05-01", "400.00"),
                paid("D2391", "2025-04-01", "100.00"),
            ],
        ),
        {"crown/p": {"ins_estimate": "500.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s16-tie-takes-the-smaller-maximum",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max=[ANNUAL, {"scope": "general", "amount": "500.00"}])],
        ),
        {"crown/p": {"ins_estimate": "500.00", "notes": ["over_annual_max"]}},
    ),
    case(
        "s16-estimate-exactly-what-is-left-no-note",
        scenario(
            CROWN_640,
            plans=[pct(cov=HALF, max={"general": "1000.00"})],
            history=[paid("D2391", "2025-04-01", "360.00")],
        ),
        {"crown/p": paid_out("640.00", notes=[])},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), MAXIMUM_CASES)
def test_maximums(doc, expect):
    check(run(doc), expect)


# Section 19: waiting periods ----------------------------------------------------------------


def waiting(*lines, wait=None, effective="2025-01-15", **kw):
    plan_kw = {"effective_date": effective} if effective else {}
    return scenario(
        *lines,
        plans=[
            pct(cov=HALF, ded={"general": "50.00"}, wait=wait or {"category:crowns": 12}, **plan_kw)
        ],
        mode=kw.pop("mode", "single_procedure"),
        **kw,
    )


IN_WAITING = {
    "base_estimate": "0.00",
    "ins_estimate": "0.00",
    "deductible": "0.00",
    "notes": ["waiting_period"],
}
# (1000 - 50) x 50% = 475
OUT_OF_WAITING = {"ins_estimate": "475.00", "deductible": "50.00", "notes": []}

WAITING_CASES = [
    case(
        "s19-last-day-in-first-day-out",
        waiting(
            proc("last", "D2740", "1000.00", date="2026-01-14"),
            proc("first", "D2740", "1000.00", date="2026-01-15"),
        ),
        {"last/p": IN_WAITING, "first/p": OUT_OF_WAITING},
    ),
    case(
        "s19-on-the-effective-date-is-waiting",
        waiting(proc("c", "D2740", "1000.00", date="2025-01-15")),
        {"c/p": IN_WAITING},
    ),
    case(
        "s19-before-the-effective-date-no-waiting",
        waiting(proc("c", "D2740", "1000.00", date="2025-01-14")),
        {"c/p": OUT_OF_WAITING},
    ),
    case(
        "s19-without-effective-date-no-waiting",
        waiting(proc("c", "D2740", "1000.00"), effective=None),
        {"c/p": OUT_OF_WAITING},
    ),
    case(
        "s19-other-codes-not-waiting",
        waiting(proc("f", "D2391", "100.00")),
        {"f/p": {"ins_estimate": "25.00", "notes": []}},
    ),
    case(
        "s19-most-specific-row-decides",
        waiting(proc("c", "D2740", "1000.00"), wait={"category:crowns": 12, "code:D2740": 0}),
        {"c/p": OUT_OF_WAITING},
    ),
    case(
        "s19-tie-takes-the-longer-wait",
        waiting(
            proc("c", "D2740", "1000.00", date="2025-09-15"),
            wait=[
                {"scope": "category:crowns", "months": 6},
                {"scope": "category:crowns", "months": 12},
            ],
        ),
        {"c/p": IN_WAITING},
    ),
    case(
        "s19-waiting-line-uses-nothing",
        waiting(
            proc("c", "D2740", "1000.00"),
            proc("f", "D2391", "100.00"),
            mode="in_order",
        ),
        {"c/p": IN_WAITING, "f/p": {"deductible": "50.00", "ins_estimate": "25.00"}},
    ),
]


@pytest.mark.parametrize(("doc", "expect"), WAITING_CASES)
def test_waiting_periods(doc, expect):
    check(run(doc), expect)
