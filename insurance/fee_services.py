"""Writes to a group plan's fee schedules: one code, a whole CSV import, or clearing a schedule.

A code without an entry is blank (no fee on file); removing an entry makes the code blank
again, which is not the same as setting it to 0.00. Every write is atomic and audited (counts
and field names, never amounts).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from coordinator.audit import audit_record
from insurance.fee_import import FeeRow, FeeStatus, compare_fee_rows, fee_digest
from insurance.models import FeeSchedule, FeeScheduleEntry, GroupPlan
from insurance.selectors import fee_amounts


class ImportRefused(Exception):
    """The import cannot be applied as it stands; the message says what to do."""


@dataclass(frozen=True)
class FeeCounts:
    created: int
    changed: int
    removed: int
    unchanged: int


def _lock(group_plan: GroupPlan) -> None:
    """Serialise writes to one plan's fees (and its type changes, which check them)."""
    GroupPlan.objects.select_for_update().filter(
        practice_id=group_plan.practice_id, pk=group_plan.pk
    ).first()


def _check_schedule(group_plan: GroupPlan, schedule: str) -> None:
    if schedule not in group_plan.schedules:
        raise ValidationError(
            f"A {group_plan.get_plan_type_display()} plan has no "
            f"{FeeSchedule(schedule).label.lower()}."
        )


@transaction.atomic
def fee_set(
    *, group_plan: GroupPlan, request: HttpRequest, schedule: str, code: str, amount: Decimal | None
) -> str:
    """Put one code's amount on file, or remove it (None); "created", "changed", "removed" or
    "unchanged"."""
    _lock(group_plan)
    _check_schedule(group_plan, schedule)
    entries = FeeScheduleEntry.objects.filter(
        practice_id=group_plan.practice_id, group_plan=group_plan, schedule=schedule, code=code
    )
    entry = entries.first()
    if amount is None:
        outcome = "removed" if entry else "unchanged"
        entries.delete()
    elif entry is None:
        entry = FeeScheduleEntry(
            practice_id=group_plan.practice_id,
            group_plan=group_plan,
            schedule=schedule,
            code=code,
            amount=amount,
        )
        entry.full_clean(validate_unique=False, validate_constraints=False)
        entry.save()
        outcome = "created"
    elif entry.amount != amount:
        entry.amount = amount
        entry.save(update_fields=["amount"])
        outcome = "changed"
    else:
        outcome = "unchanged"
    if outcome != "unchanged":
        audit_record(
            action="insurance.fee_set",
            request=request,
            practice=group_plan.practice,
            obj=group_plan,
            detail={"schedule": schedule, "outcome": outcome, "fields": ["amount"]},
        )
    return outcome


@transaction.atomic
def fees_clear(*, group_plan: GroupPlan, request: HttpRequest, schedule: str) -> int:
    """Remove every amount of one schedule (every code becomes blank)."""
    _lock(group_plan)
    removed, _ = FeeScheduleEntry.objects.filter(
        practice_id=group_plan.practice_id, group_plan=group_plan, schedule=schedule
    ).delete()
    if removed:
        audit_record(
            action="insurance.fees_cleared",
            request=request,
            practice=group_plan.practice,
            obj=group_plan,
            detail={"schedule": schedule, "removed": removed},
        )
    return removed


def fee_import_apply(
    *,
    group_plan: GroupPlan,
    request: HttpRequest,
    schedule: str,
    rows: Sequence[FeeRow],
    replace: bool = False,
    expected_digest: str | None = None,
) -> FeeCounts:
    """Check the rows again against the schedule as it is now, then apply all of them or none.

    `expected_digest` is the fingerprint of the preview that was confirmed: if the schedule
    changed since, the import is refused so that the person confirms what will really happen.
    """
    try:
        with transaction.atomic():
            return _apply(group_plan, request, schedule, rows, replace, expected_digest)
    except IntegrityError:
        raise ImportRefused(
            "Someone changed this fee schedule while you were importing. Review the preview again."
        ) from None


def _apply(group_plan, request, schedule, rows, replace, expected_digest) -> FeeCounts:
    _lock(group_plan)
    group_plan.refresh_from_db(fields=["plan_type"])
    try:
        _check_schedule(group_plan, schedule)
    except ValidationError as error:
        raise ImportRefused(error.messages[0]) from None
    current = fee_amounts(group_plan=group_plan, schedule=schedule, for_update=True)
    results = compare_fee_rows(rows, current, replace=replace)
    if any(result.status == FeeStatus.ERROR for result in results):
        raise ImportRefused("The file has errors: fix them in the file and upload it again.")
    if expected_digest is not None and fee_digest(results) != expected_digest:
        raise ImportRefused(
            "The fee schedule changed since this preview was made. Review the preview again."
        )
    by_status: dict[str, list] = {status: [] for status in FeeStatus}
    for result in results:
        by_status[result.status].append(result)
    practice_id = group_plan.practice_id
    entries = FeeScheduleEntry.objects.filter(
        practice_id=practice_id, group_plan=group_plan, schedule=schedule
    )
    removed = [result.code for result in by_status[FeeStatus.REMOVED]]
    if removed:
        entries.filter(code__in=removed).delete()
    changed = {result.code: result.new for result in by_status[FeeStatus.CHANGED]}
    if changed:
        updated = list(entries.filter(code__in=changed))
        for entry in updated:
            entry.amount = changed[entry.code]
        FeeScheduleEntry.objects.bulk_update(updated, ["amount"], batch_size=500)
    created = [
        FeeScheduleEntry(
            practice_id=practice_id,
            group_plan=group_plan,
            schedule=schedule,
            code=result.code,
            amount=result.new,
        )
        for result in by_status[FeeStatus.NEW]
    ]
    for entry in created:
        entry.clean_fields(exclude=["practice", "group_plan"])
    FeeScheduleEntry.objects.bulk_create(created, batch_size=500)
    counts = FeeCounts(
        created=len(created),
        changed=len(changed),
        removed=len(removed),
        unchanged=len(by_status[FeeStatus.UNCHANGED]),
    )
    audit_record(
        action="insurance.fees_imported",
        request=request,
        practice=group_plan.practice,
        obj=group_plan,
        detail={
            "schedule": schedule,
            "replace": replace,
            "created": counts.created,
            "changed": counts.changed,
            "removed": counts.removed,
            "unchanged": counts.unchanged,
        },
    )
    return counts
