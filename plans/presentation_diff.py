"""What changed between two frozen presentations of one plan (pure: dataclasses in and out).

Procedures are matched by the live procedure they froze (`key`), options by the live option;
so a renamed option or a re-priced crown is a change, not a removal and an addition.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from plans.benefits_display import source_sentence


@dataclass(frozen=True)
class ShownProcedure:
    """A procedure as the patient saw it."""

    key: str
    code: str
    description: str
    fee: Decimal
    phase_number: int
    tooth: str = ""
    surfaces: str = ""
    area: str = ""
    phase_name: str = ""
    # The insurance estimate as shown (None: no insurance on file, declined, or shown before
    # estimates existed).
    insurance: Decimal | None = None
    writeoff: Decimal | None = None
    patient_portion: Decimal | None = None
    notes: tuple[str, ...] = ()
    next_benefit_year: bool = False

    @property
    def site(self) -> str:
        """Where in the mouth, as the coordinator says it: "#14 MO", "UR", or nothing."""
        where = f"#{self.tooth}" if self.tooth else self.area
        return " ".join(part for part in (where, self.surfaces) if part)

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.code, self.site) if part)


@dataclass(frozen=True)
class ShownCoverage:
    """One coverage's benefit data as shown with the estimate (`benefits_summary`)."""

    label: str
    source: str
    verified_on: datetime.date | None
    age_days: int | None
    warnings: tuple[str, ...] = ()
    maximum_before: Decimal | None = None
    maximum_after: Decimal | None = None
    deductible_before: Decimal | None = None
    deductible_after: Decimal | None = None

    @classmethod
    def from_summary(cls, item: dict) -> "ShownCoverage":
        def money(name: str) -> Decimal | None:
            return None if item.get(name) is None else Decimal(item[name])

        verified_on = item.get("verified_on")
        return cls(
            label=item["label"],
            source=item["source"],
            verified_on=datetime.date.fromisoformat(verified_on) if verified_on else None,
            age_days=item.get("age_days"),
            warnings=tuple(item.get("warnings", ())),
            maximum_before=money("maximum_before"),
            maximum_after=money("maximum_after"),
            deductible_before=money("deductible_before"),
            deductible_after=money("deductible_after"),
        )

    @property
    def sentence(self) -> str:
        return source_sentence(self.source, self.verified_on, self.age_days, presented=True)


@dataclass(frozen=True)
class ShownOption:
    """An option as the patient saw it."""

    key: str
    name: str
    recommended: bool
    total_fee: Decimal
    procedures: tuple[ShownProcedure, ...] = ()
    # The estimate's totals as shown (None: no insurance, or shown before estimates existed).
    total_insurance: Decimal | None = None
    total_writeoff: Decimal | None = None
    total_patient: Decimal | None = None
    coverages: tuple[ShownCoverage, ...] = ()

    @property
    def estimated(self) -> bool:
        return self.total_patient is not None


@dataclass(frozen=True)
class ProcedureChange:
    """A procedure of an option shown both times, with what differs (old, new)."""

    option: str
    procedure: ShownProcedure
    old: str | Decimal
    new: str | Decimal


@dataclass(frozen=True)
class ProcedureMention:
    """A procedure added to or removed from an option that was shown both times."""

    option: str
    procedure: ShownProcedure


@dataclass(frozen=True)
class Renaming:
    old: str
    new: str


@dataclass(frozen=True)
class TotalChange:
    option: str
    old: Decimal
    new: Decimal


@dataclass(frozen=True)
class PresentationDiff:
    options_added: tuple[ShownOption, ...] = ()
    options_removed: tuple[ShownOption, ...] = ()
    options_renamed: tuple[Renaming, ...] = ()
    # (old recommended option's name, new one's), or None when the recommendation stayed.
    recommended_changed: tuple[str | None, str | None] | None = None
    procedures_added: tuple[ProcedureMention, ...] = ()
    procedures_removed: tuple[ProcedureMention, ...] = ()
    fees_changed: tuple[ProcedureChange, ...] = ()
    sites_changed: tuple[ProcedureChange, ...] = ()
    phases_changed: tuple[ProcedureChange, ...] = ()
    totals_changed: tuple[TotalChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.options_added,
                self.options_removed,
                self.options_renamed,
                self.recommended_changed,
                self.procedures_added,
                self.procedures_removed,
                self.fees_changed,
                self.sites_changed,
                self.phases_changed,
                self.totals_changed,
            )
        )


def _recommended(options: Sequence[ShownOption]) -> ShownOption | None:
    return next((option for option in options if option.recommended), None)


def _phase(procedure: ShownProcedure) -> str:
    return procedure.phase_name or f"Phase {procedure.phase_number}"


def presentation_diff(
    earlier: Sequence[ShownOption], later: Sequence[ShownOption]
) -> PresentationDiff:
    """What the patient sees differently in `later` than in `earlier`, in the later order."""
    before = {option.key: option for option in earlier}
    after = {option.key: option for option in later}

    was, now = _recommended(earlier), _recommended(later)
    recommended_changed = None
    if (was.key if was else None) != (now.key if now else None):
        recommended_changed = (was.name if was else None, now.name if now else None)

    added: list[ProcedureMention] = []
    removed: list[ProcedureMention] = []
    fees: list[ProcedureChange] = []
    sites: list[ProcedureChange] = []
    phases: list[ProcedureChange] = []
    renamed: list[Renaming] = []
    totals: list[TotalChange] = []
    for option in later:
        old_option = before.get(option.key)
        if old_option is None:
            continue
        if old_option.name != option.name:
            renamed.append(Renaming(old=old_option.name, new=option.name))
        if old_option.total_fee != option.total_fee:
            totals.append(TotalChange(option.name, old_option.total_fee, option.total_fee))
        old_procedures = {procedure.key: procedure for procedure in old_option.procedures}
        new_keys = {procedure.key for procedure in option.procedures}
        for procedure in option.procedures:
            old = old_procedures.get(procedure.key)
            if old is None:
                added.append(ProcedureMention(option.name, procedure))
                continue
            if old.fee != procedure.fee:
                fees.append(ProcedureChange(option.name, procedure, old.fee, procedure.fee))
            if old.site != procedure.site:
                sites.append(ProcedureChange(option.name, procedure, old.site, procedure.site))
            if _phase(old) != _phase(procedure):
                phases.append(
                    ProcedureChange(option.name, procedure, _phase(old), _phase(procedure))
                )
        removed.extend(
            ProcedureMention(option.name, procedure)
            for procedure in old_option.procedures
            if procedure.key not in new_keys
        )

    return PresentationDiff(
        options_added=tuple(option for option in later if option.key not in before),
        options_removed=tuple(option for option in earlier if option.key not in after),
        options_renamed=tuple(renamed),
        recommended_changed=recommended_changed,
        procedures_added=tuple(added),
        procedures_removed=tuple(removed),
        fees_changed=tuple(fees),
        sites_changed=tuple(sites),
        phases_changed=tuple(phases),
        totals_changed=tuple(totals),
    )
