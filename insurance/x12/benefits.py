"""From a 271's EB loops to benefit rows in the estimate engine's vocabulary (contract §3.7).

What a row cannot say in that vocabulary is kept as an `UnmappedBenefit` with its text, never
dropped: the coordinator reads it and decides.
"""

import re
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from insurance.x12.codes import (
    BENEFIT_LABELS,
    PERIOD_LABELS,
    SERVICE_TYPE_SCOPES,
    service_type_label,
)
from insurance.x12.rows import (
    AgeLimit,
    BenefitRows,
    Coverage,
    Deductible,
    Exclusion,
    Frequency,
    Maximum,
    UnmappedBenefit,
    UsedBenefit,
    WaitingPeriod,
)
from insurance.x12.segments import Segment, dtp_dates

NETWORK_INDICATORS = ("", "Y", "N", "U", "W")
LEVELS = {"": "individual", "IND": "individual", "FAM": "family"}
LIMIT_PERIODS = {"22": "benefit_year", "23": "benefit_year", "32": "lifetime"}
# Year to date (24) is what was used; 29 and 33 are what remains.
USED_PERIODS = {"24": "benefit_year"}
REMAINING_PERIODS = {"29": "benefit_year", "33": "lifetime"}
# A category-wide age limit is an orthodontic rule in dental plans; on another category it is
# one procedure's limit sent without its code (sealants under "preventive"), so it is shown,
# not applied to the whole category.
CATEGORY_AGE_LIMITS = ("category:orthodontics",)
FREQUENCY_QUANTITIES = ("", "VS", "FL")
_CDT_CODE = re.compile(r"D\d{4}")

Target = tuple[str, str]  # (EB03 service type, or "" for a procedure code; scope)
AmountKey = tuple[str, str, str, str]  # kind, scope, level, period


@dataclass
class BenefitLoop:
    """One 2110 loop as read: the EB, its companion segments and its 2120 entities."""

    eb: Segment
    details: list[Segment] = field(default_factory=list)
    entities: list[list[Segment]] = field(default_factory=list)

    def segments(self, segment_id: str, qualifier: str = "") -> list[Segment]:
        return [
            s for s in self.details if s.id == segment_id and (not qualifier or s[1] == qualifier)
        ]

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(msg[1] for msg in self.segments("MSG"))


def procedure_code(eb: Segment) -> str:
    """The CDT code of EB13 (`AD:D1110`), or '' when the row names none."""
    parts = eb.components(13)
    if not parts:
        return ""
    code = parts[1] if len(parts) > 1 else ""
    if parts[0] == "AD" and not _CDT_CODE.fullmatch(code):
        raise eb.error(f'EB13 "{eb[13]}" is not a CDT code')
    # HCPCS (HC) repeats the CDT codes as its D codes; other code sets are not dental.
    return code if parts[0] in ("AD", "HC") and _CDT_CODE.fullmatch(code) else ""


def plan_percent(eb: Segment, *, coinsurance_inverted: bool) -> int | None:
    """What the plan pays, from EB08: the patient's share unless the carrier sends the plan's."""
    share = eb.decimal(8)
    if share is None:
        return None
    if not 0 <= share <= 1:
        raise eb.error(f'EB08 "{eb[8]}" is not a fraction from 0 to 1')
    plan_share = share if coinsurance_inverted else 1 - share
    return int((plan_share * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def benefit_rows(
    loops: list[BenefitLoop], *, coverage_begins: date | None, coinsurance_inverted: bool
) -> tuple[BenefitRows, BenefitRows]:
    """In-network and out-of-network (EB12 N) rows. Rows marked unknown (U) or not applicable
    (W) are not out-of-network, so they are kept with the in-network ones."""
    in_network = _RowsBuilder(coverage_begins, coinsurance_inverted)
    out_of_network = _RowsBuilder(coverage_begins, coinsurance_inverted)
    for loop in loops:
        network = loop.eb[12]
        if network not in NETWORK_INDICATORS:
            raise loop.eb.error(f'EB12 network "{network}" is not Y, N, U or W')
        (out_of_network if network == "N" else in_network).add(loop)
    return in_network.rows(), out_of_network.rows()


def describe(loop: BenefitLoop) -> str:
    """What an EB loop says, in words, for rows that stay text."""
    eb = loop.eb
    parts = [BENEFIT_LABELS.get(eb[1], f"benefit {eb[1]}")]
    if eb[2]:
        parts.append(LEVELS.get(eb[2], eb[2]))
    if eb[7]:
        parts.append(f"${eb[7]}")
    if eb[8]:
        parts.append(f"percent {eb[8]}")
    if eb[6]:
        parts.append(PERIOD_LABELS.get(eb[6], f"period {eb[6]}"))
    if eb[9] == "S7":
        parts.append(f"through age {eb[10]}")
    elif eb[9]:
        parts.append(f"quantity {eb[9]} {eb[10]}")
    for hsd in loop.segments("HSD"):
        periods = f"{hsd[6]} " if hsd[6] else ""
        parts.append(f"{hsd[2]} per {periods}{PERIOD_LABELS.get(hsd[5], hsd[5])}".strip())
    parts.extend(f"begins {dtp_dates(dtp)[0]}" for dtp in loop.segments("DTP", "348"))
    return ", ".join(parts)


class _RowsBuilder:
    def __init__(self, coverage_begins: date | None, coinsurance_inverted: bool) -> None:
        self.coverage_begins = coverage_begins
        self.coinsurance_inverted = coinsurance_inverted
        self.lists: dict[str, list] = {f.name: [] for f in fields(BenefitRows)}
        self.limits: dict[AmountKey, Decimal] = {}
        # Used (EB06 24) or remaining (29, 33) amounts, in the order the payer sent them.
        self.progress: dict[AmountKey, dict[str, Decimal]] = {}
        self.progress_sources: dict[AmountKey, tuple[BenefitLoop, Target]] = {}

    def rows(self) -> BenefitRows:
        for key, amounts in self.progress.items():
            limit = self.limits.get(key)
            if "used" in amounts:
                used = amounts["used"]
            elif limit is not None:
                # A remaining amount above the limit means nothing was used.
                used = max(limit - amounts["remaining"], Decimal("0.00"))
            else:
                loop, target = self.progress_sources[key]
                self._unmapped(loop, "a remaining amount without its limit", [target])
                continue
            self.lists["used"].append(UsedBenefit(*key, limit_amount=limit, used_amount=used))
        return BenefitRows(**{name: tuple(rows) for name, rows in self.lists.items()})

    def add(self, loop: BenefitLoop) -> None:
        eb = loop.eb
        kind = eb.required(1)
        if kind in ("1", "6", "D", "R", "U"):
            return  # status, text and contacts: read with the response
        targets = self._targets(loop)
        if kind not in ("A", "C", "F", "I", "E"):
            self._unmapped(loop, "not a benefit the estimate uses", targets)
            return
        if kind == "A":
            self._coinsurance(loop, targets)
        elif kind in ("I", "E"):
            self._exclusions(loop, targets)
        elif eb[7]:
            self._amount(loop, targets, "deductible" if kind == "C" else "maximum")
        elif kind == "C":
            self._unmapped(loop, "a deductible without an amount", targets)
        if kind == "F":
            self._age_limits(loop, targets)
            self._frequencies(loop, targets)
        elif eb[9]:
            self._unmapped(loop, "a quantity the estimate does not use", targets)

    def _targets(self, loop: BenefitLoop) -> list[Target]:
        eb = loop.eb
        code = procedure_code(eb)
        if code:
            return [("", f"code:{code}")]
        if eb[13]:
            self._unmapped(loop, f"procedure {eb[13]} is not a CDT code", [])
            return []
        if not eb[3]:
            self._unmapped(loop, "no service type or procedure code", [])
        targets = []
        for service_type in eb.repeats(3):
            if service_type in SERVICE_TYPE_SCOPES:
                targets.append((service_type, SERVICE_TYPE_SCOPES[service_type]))
            else:
                self._unmapped(
                    loop, "a service type without an estimate category", [(service_type, "")]
                )
        return targets

    def _coinsurance(self, loop: BenefitLoop, targets: list[Target]) -> None:
        percent = plan_percent(loop.eb, coinsurance_inverted=self.coinsurance_inverted)
        if percent is None:
            self._unmapped(loop, "a co-insurance without a percent", targets)
            return
        self.lists["coverage"] += [Coverage(scope, percent) for _, scope in targets]
        for dtp in loop.segments("DTP", "348"):
            begins = dtp_dates(dtp)[0]
            if self.coverage_begins is None:
                self._unmapped(loop, "a waiting period without a coverage begin date", targets)
                continue
            months = _whole_months(self.coverage_begins, begins)
            if months > 0:
                self.lists["waiting_periods"] += [
                    WaitingPeriod(scope, months, begins) for _, scope in targets
                ]

    def _amount(self, loop: BenefitLoop, targets: list[Target], kind: str) -> None:
        eb = loop.eb
        amount = eb.money(7)
        level = LEVELS.get(eb[2])
        period = eb[6]
        if level is None:
            self._unmapped(loop, f"coverage level {eb[2]} is not individual or family", targets)
            return
        if period not in (*LIMIT_PERIODS, *USED_PERIODS, *REMAINING_PERIODS):
            what = PERIOD_LABELS.get(period, f"period {period}") if period else "no period"
            self._unmapped(loop, f"an amount for {what}", targets)
            return
        for target in targets:
            scope = target[1]
            if period in LIMIT_PERIODS:
                key = (kind, scope, level, LIMIT_PERIODS[period])
                self.limits.setdefault(key, amount)
                row_type = Deductible if kind == "deductible" else Maximum
                self.lists[f"{kind}s"].append(row_type(scope, f"{amount}", level, key[3]))
                continue
            if period in USED_PERIODS:
                key, which = (kind, scope, level, USED_PERIODS[period]), "used"
            else:
                key, which = (kind, scope, level, REMAINING_PERIODS[period]), "remaining"
            self.progress.setdefault(key, {}).setdefault(which, amount)
            self.progress_sources.setdefault(key, (loop, target))

    def _age_limits(self, loop: BenefitLoop, targets: list[Target]) -> None:
        eb = loop.eb
        if not eb[9]:
            return
        if eb[9] != "S7":
            self._unmapped(loop, "a quantity the estimate does not use", targets)
            return
        if not eb[10]:
            raise eb.error("EB10 age is missing for the age limit (EB09 S7)")
        age = eb.whole_number(10)
        for target in targets:
            scope = target[1]
            if scope.startswith("code:") or scope in CATEGORY_AGE_LIMITS:
                self.lists["age_limits"].append(AgeLimit(scope, age))
            else:
                self._unmapped(loop, f"an age limit on all of {scope}", [target])

    def _frequencies(self, loop: BenefitLoop, targets: list[Target]) -> None:
        hsds = loop.segments("HSD")
        pers = [_frequency_per(hsd) for hsd in hsds]  # checks every HSD, used or not
        if not hsds:
            return
        if not all(scope.startswith("code:") for _, scope in targets):
            self._unmapped(loop, "a frequency without a procedure code", targets)
            return
        for hsd, per in zip(hsds, pers, strict=True):
            count = hsd.whole_number(2)
            if per is None or not count or hsd[1] not in FREQUENCY_QUANTITIES:
                self._unmapped(loop, "a frequency the estimate cannot count", targets)
                continue
            self.lists["frequencies"] += [Frequency(scope, count, per) for _, scope in targets]

    def _exclusions(self, loop: BenefitLoop, targets: list[Target]) -> None:
        for target in targets:
            if target[1] == "general":
                self._unmapped(loop, "the whole plan is not covered", [target])
            else:
                self.lists["exclusions"].append(Exclusion(target[1]))

    def _unmapped(self, loop: BenefitLoop, reason: str, targets: list[Target]) -> None:
        """One entry per target, so each shows under its own category; one when there is none."""
        for service_type, _ in targets or [("", "")]:
            self.lists["unmapped"].append(
                UnmappedBenefit(
                    segment=loop.eb.position,
                    service_type=service_type,
                    label=_label(loop, service_type),
                    detail=describe(loop),
                    reason=reason,
                    messages=loop.messages,
                )
            )


def _label(loop: BenefitLoop, service_type: str) -> str:
    if service_type:
        return service_type_label(service_type)
    return procedure_code(loop.eb) or loop.eb[13]


def _frequency_per(hsd: Segment) -> str | None:
    """The contract's `per` of an HSD (HSD02 per HSD06 × HSD05), None when it has none."""
    period, periods = hsd[5], hsd.whole_number(6)
    if period in ("34", "21"):
        if not periods:
            raise hsd.error(f"HSD06 number of periods is missing for HSD05 {period}")
        return f"months:{periods}" if period == "34" else f"years:{periods}"
    if period in ("22", "23") and periods in (None, 1):
        return "benefit_year" if period == "22" else "calendar_year"
    return None


def _whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    days = end.day - start.day
    # Half a month or more counts as a month.
    if days >= 15:
        return months + 1
    if days < -15:
        return months - 1
    return months
