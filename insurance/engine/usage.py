"""What a plan has already been used for: history, and earlier lines of the same plan.

Deductibles, maximums and frequency limits all read the same list of `Usage` rows, filtered
by who used it (this patient or the family), when (benefit year, lifetime, a window around
the date of service) and for which codes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from insurance.engine.scenario import HistoryEntry
from insurance.engine.sites import Site


@dataclass(frozen=True)
class Usage:
    member: str | None  # None: this patient
    code: str | None
    date: datetime.date
    amount: Decimal  # toward maximums
    deductible: Decimal
    counts_for_frequency: bool
    site: Site
    service: object  # rows of one service share it, so the service counts once


def usage_from_history(entry: HistoryEntry, index: int) -> Usage:
    if entry.kind == "done_elsewhere":
        counts = True
    elif entry.kind == "benefits_used":
        counts = False
    else:  # a claim line uses up a frequency only if the plan paid something for it
        counts = entry.amount != 0
    return Usage(
        member=entry.member,
        code=entry.code,
        date=entry.date,
        amount=entry.amount if entry.kind != "done_elsewhere" else Decimal(0),
        deductible=entry.deductible if entry.kind != "done_elsewhere" else Decimal(0),
        counts_for_frequency=counts,
        site=entry.site,
        service=("service", entry.service) if entry.service else ("history", index),
    )


def usage_from_line(
    ref: str, code: str, day: datetime.date, site: Site, amount: Decimal, deductible: Decimal
) -> Usage:
    return Usage(
        member=None,
        code=code,
        date=day,
        amount=amount,
        deductible=deductible,
        counts_for_frequency=amount > 0,
        site=site,
        service=("line", ref),
    )
