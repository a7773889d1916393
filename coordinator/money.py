"""Money is Decimal end to end, rounded to cents here and nowhere else."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The largest fee of one procedure: far above any real one, and totals of many of them still
# fit the 12-digit money columns.
MAX_FEE = Decimal("99999.99")


def to_cents(amount: Decimal | int | str) -> Decimal:
    """Round to cents, half away from zero (the rule of the contracts)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    value = to_cents(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"
