"""How the plan screens word where benefit data came from, and a split's saving."""

import datetime
from decimal import Decimal

import pytest

from plans.benefits_display import source_sentence, split_sentence

NOV_13 = datetime.date(2026, 11, 13)
CHECKED = "Benefits verified by eligibility check"


@pytest.mark.parametrize(
    ("source", "verified_on", "age", "presented", "expected"),
    [
        ("eligibility_271", NOV_13, 14, False, f"{CHECKED} 14 days ago"),
        ("manual", NOV_13, 1, False, "Benefits entered by hand yesterday"),
        ("manual", NOV_13, 0, False, "Benefits entered by hand today"),
        ("assumed", NOV_13, 3, False, "Benefits assumed, not verified: recorded 3 days ago"),
        ("assumed", None, None, False, "Benefits assumed, not verified, on a date not recorded"),
        ("eligibility_271", NOV_13, 14, True, f"{CHECKED} 14 days before the presentation"),
        ("manual", NOV_13, 0, True, "Benefits entered by hand on the day of the presentation"),
        ("manual", NOV_13, 1, True, "Benefits entered by hand 1 day before the presentation"),
    ],
)
def test_the_source_and_age_of_benefit_data(source, verified_on, age, presented, expected):
    assert source_sentence(source, verified_on, age, presented=presented) == expected


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ({2}, "Doing phase 2 after the plan renews on 1 Jan 2027 saves the patient $385.00"),
        (
            {2, 3, 4},
            "Doing phases 2, 3 and 4 after the plan renews on 1 Jan 2027 saves the patient $385.00",
        ),
        (set(), "Doing every phase before the plan renews on 1 Jan 2027 saves the patient $385.00"),
    ],
)
def test_a_split_says_which_phases_wait_and_what_it_saves(phases, expected):
    assert split_sentence(phases, datetime.date(2027, 1, 1), Decimal("385.00")) == expected
