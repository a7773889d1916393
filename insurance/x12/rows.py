"""Benefit rows in the estimate engine's vocabulary (contract §3.7), as read from a 271.

Scopes are the contract's strings: `general`, `category:NAME`, `code:D2740`. Amounts of rows
are money strings with two decimals, as the contract carries them; used amounts are Decimals.
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Coverage:
    scope: str
    percent: int


@dataclass(frozen=True)
class Deductible:
    scope: str
    amount: str
    level: str
    period: str


@dataclass(frozen=True)
class Maximum:
    scope: str
    amount: str
    level: str
    period: str


@dataclass(frozen=True)
class Frequency:
    scope: str
    count: int
    per: str


@dataclass(frozen=True)
class AgeLimit:
    scope: str
    max_age: int


@dataclass(frozen=True)
class WaitingPeriod:
    scope: str
    months: int
    begins: date  # the payer's DTP*348 date; `months` counts from the coverage begin date


@dataclass(frozen=True)
class Exclusion:
    scope: str


@dataclass(frozen=True)
class UsedBenefit:
    """Deductible met or maximum used so far, for a "benefits used" history entry."""

    kind: str  # "deductible" or "maximum"
    scope: str
    level: str
    period: str
    limit_amount: Decimal | None
    used_amount: Decimal


@dataclass(frozen=True)
class UnmappedBenefit:
    """A benefit the engine's vocabulary cannot hold, kept for the coordinator to read."""

    segment: int
    service_type: str  # EB03 code, or "" for a procedure code or none
    label: str  # the service type or procedure, readable
    detail: str  # what the payer sent, readable: "limitation, individual, 1 per 5 years"
    reason: str  # why it is not a row
    messages: tuple[str, ...]


@dataclass(frozen=True)
class BenefitRows:
    coverage: tuple[Coverage, ...] = ()
    deductibles: tuple[Deductible, ...] = ()
    maximums: tuple[Maximum, ...] = ()
    frequencies: tuple[Frequency, ...] = ()
    age_limits: tuple[AgeLimit, ...] = ()
    waiting_periods: tuple[WaitingPeriod, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    used: tuple[UsedBenefit, ...] = ()
    unmapped: tuple[UnmappedBenefit, ...] = ()

    def as_contract(self) -> dict[str, list[dict[str, object]]]:
        """The `benefits` object of the estimate input (contract §3.7)."""
        return {
            "coverage": [asdict(row) for row in self.coverage],
            "deductibles": [asdict(row) for row in self.deductibles],
            "maximums": [asdict(row) for row in self.maximums],
            "frequencies": [asdict(row) for row in self.frequencies],
            "age_limits": [asdict(row) for row in self.age_limits],
            "waiting_periods": [
                {"scope": row.scope, "months": row.months} for row in self.waiting_periods
            ],
            "exclusions": [asdict(row) for row in self.exclusions],
        }
