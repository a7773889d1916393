"""Money, dates and the one rounding step of the estimate engine (pure, no Django)."""

import calendar
import datetime
from decimal import ROUND_HALF_EVEN, Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def percent_of(amount: Decimal, percent: int) -> Decimal:
    """The coverage percentage step, the only one that makes fractions of a cent.

    Estimates round half to even (the rules document, section 12); this is the one place in
    the project that does not round half up.
    """
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_EVEN)


def not_below_zero(amount: Decimal) -> Decimal:
    return max(amount, ZERO)


def money_text(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def benefit_year_start(day: datetime.date, renewal_month: int) -> datetime.date:
    year = day.year if day.month >= renewal_month else day.year - 1
    return datetime.date(year, renewal_month, 1)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Completed years on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)
