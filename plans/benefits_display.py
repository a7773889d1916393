"""How the plan screens word insurance estimates: where the benefit data came from and how old
it is (rules document, section 26), and what a split across benefit years saves (pure)."""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from coordinator.money import format_money

# How each source of benefit data reads after "Benefits".
SOURCE_WORDS = {
    "eligibility_271": "verified by eligibility check",
    "manual": "entered by hand",
    "assumed": "assumed, not verified",
}


def _days(days: int, *, presented: bool) -> str:
    if presented:
        if days == 0:
            return "on the day of the presentation"
        return f"{days} day{'s' if days != 1 else ''} before the presentation"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def source_sentence(
    source: str,
    verified_on: datetime.date | None,
    age_days: int | None,
    *,
    presented: bool = False,
) -> str:
    """ "Benefits verified by eligibility check 14 days ago", or as of a presentation."""
    words = SOURCE_WORDS.get(source, source)
    if verified_on is None or age_days is None:
        return f"Benefits {words}, on a date not recorded"
    when = _days(age_days, presented=presented)
    if source == "assumed":
        return f"Benefits {words}: recorded {when}"
    return f"Benefits {words} {when}"


def _phase_list(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"phase {numbers[0]}"
    return f"phases {', '.join(str(n) for n in numbers[:-1])} and {numbers[-1]}"


def split_sentence(
    next_year_phases: Iterable[int], next_year_starts: datetime.date, saving: Decimal
) -> str:
    """ "Doing phase 2 after the plan renews on 1 Jan 2027 saves the patient $385.00" """
    numbers = sorted(next_year_phases)
    renews = f"{next_year_starts.day} {next_year_starts:%b %Y}"
    if not numbers:
        what = f"Doing every phase before the plan renews on {renews}"
    else:
        what = f"Doing {_phase_list(numbers)} after the plan renews on {renews}"
    return f"{what} saves the patient {format_money(saving)}"
