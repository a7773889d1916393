"""Totals of an option by phase, from fees (pure; Decimal in, Decimal out)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from coordinator.money import to_cents


@dataclass(frozen=True)
class FeeLine:
    phase_number: int
    fee: Decimal


@dataclass(frozen=True)
class OptionTotals:
    by_phase: dict[int, Decimal]
    total: Decimal

    def __post_init__(self) -> None:
        # Built here and checked here: the phases always add up to the total.
        if sum(self.by_phase.values(), Decimal("0.00")) != self.total:
            raise ValueError("phase totals do not add up to the option total")


def option_totals(lines: Iterable[FeeLine]) -> OptionTotals:
    by_phase: dict[int, Decimal] = {}
    for line in lines:
        by_phase[line.phase_number] = by_phase.get(line.phase_number, Decimal("0.00")) + to_cents(
            line.fee
        )
    return OptionTotals(
        by_phase=dict(sorted(by_phase.items())),
        total=sum(by_phase.values(), Decimal("0.00")),
    )
