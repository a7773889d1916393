"""Writes to a patient's coverage and to a subscription's insurance history.

Each service is atomic, validates the rows it writes and leaves an audit event naming fields,
never values. Changes to a patient's payment order run under a lock on the patient row, so
two of them never pick the same ordinal.

Payment order: coverages still in force come first, in their order, then the ended ones; the
ordinals stay 1, 2, … without gaps, because the estimate screens name a coverage by its
ordinal ("primary").
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from coordinator.audit import audit_record
from insurance.coverage_selectors import coverage_ended
from insurance.models import (
    Coverage,
    EligibilityCheck,
    GroupPlan,
    HistorySource,
    InsuranceHistory,
    Subscription,
)
from patients.models import Patient

MAX_COVERAGES = 4
HISTORY_FIELDS = (
    "patient",
    "kind",
    "code",
    "service_date",
    "amount",
    "deductible",
    "writeoff",
    "tooth",
    "surfaces",
    "area",
    "note",
)


def same_member_id(first: str, second: str) -> bool:
    """Member IDs as payers compare them: case, spaces and dashes do not count."""

    def plain(value: str) -> str:
        return re.sub(r"[\s-]", "", value).upper()

    return plain(first) == plain(second)


def _lock_patient(*patients: Patient) -> None:
    """Lock the patients' rows (in one order, so two services never wait on each other)."""
    list(
        Patient.objects.select_for_update()
        .filter(practice_id=patients[0].practice_id, pk__in=[p.pk for p in patients])
        .order_by("pk")
    )


def _held(patient: Patient) -> list[Coverage]:
    return list(
        Coverage.objects.filter(practice_id=patient.practice_id, patient=patient)
        .select_related("subscription")
        .order_by("ordinal")
    )


def _payment_order(held: list[Coverage], today: datetime.date) -> list[Coverage]:
    """In force first (in their order), then the ended ones."""
    return sorted(held, key=lambda c: (coverage_ended(c, today), c.ordinal))


def _renumber(ordered: list[Coverage]) -> None:
    """Give a patient's coverages (all of them) the ordinals 1, 2, … in this order.

    (patient, ordinal) is unique and checked row by row, so rows move one at a time, through a
    spare ordinal when they must swap.
    """
    target = {c.pk: number for number, c in enumerate(ordered, start=1)}
    pending = [c for c in ordered if c.ordinal != target[c.pk]]
    held = {c.ordinal for c in ordered}

    def move(coverage: Coverage, ordinal: int) -> None:
        Coverage.objects.filter(practice_id=coverage.practice_id, pk=coverage.pk).update(
            ordinal=ordinal
        )
        held.discard(coverage.ordinal)
        held.add(ordinal)
        coverage.ordinal = ordinal

    while pending:
        ready = next((c for c in pending if target[c.pk] not in held), None)
        if ready is not None:
            move(ready, target[ready.pk])
            pending.remove(ready)
            continue
        spare = next((n for n in range(1, MAX_COVERAGES + 1) if n not in held), None)
        if spare is None:
            _reinsert(ordered, target)
            return
        move(pending[0], spare)


def _reinsert(ordered: list[Coverage], target: dict) -> None:
    # Four coverages leave no spare ordinal: the rows go and come back with the same ids. Rows
    # that point at them are checked at commit (Django makes foreign keys DEFERRABLE INITIALLY
    # DEFERRED), by which time they are back.
    queryset = Coverage.objects.filter(
        practice_id=ordered[0].practice_id, pk__in=[c.pk for c in ordered]
    )
    queryset._raw_delete(queryset.db)
    for coverage in ordered:
        coverage.ordinal = target[coverage.pk]
    Coverage.objects.bulk_create(ordered)


def _spare_ordinal(held: list[Coverage]) -> int:
    taken = {c.ordinal for c in held}
    return next(n for n in range(1, MAX_COVERAGES + 1) if n not in taken)


@transaction.atomic
def coverage_add(
    *,
    patient: Patient,
    request: HttpRequest,
    group_plan: GroupPlan,
    subscriber: Patient,
    relationship: str,
    member_id: str,
    effective_date: datetime.date | None,
    today: datetime.date,
) -> Coverage:
    """Cover the patient by the subscriber's subscription to the group plan, after the
    coverages in force. A subscription the subscriber already holds is shared (that is how a
    family shares deductibles and maximums); otherwise a new one is made."""
    # The subscriber too: two family members added at once must find one subscription.
    _lock_patient(patient, subscriber)
    held = _held(patient)
    if len(held) >= MAX_COVERAGES:
        raise ValidationError(
            "A patient can have four coverages at most: remove one that has ended first."
        )
    subscription = (
        Subscription.objects.select_for_update()
        .filter(practice_id=patient.practice_id, group_plan=group_plan, subscriber=subscriber)
        .exclude(ended_on__lt=today)
        .order_by(F("ended_on").asc(nulls_first=True), "-effective_date", "id")
        .first()
    )
    shared = subscription is not None
    if subscription is None:
        subscription = Subscription(
            practice_id=patient.practice_id,
            group_plan=group_plan,
            subscriber=subscriber,
            member_id=member_id,
            effective_date=effective_date,
        )
        subscription.full_clean()
        subscription.save()
    else:
        _share(subscription, held, subscriber, member_id, effective_date)
    coverage = Coverage(
        practice_id=patient.practice_id,
        patient=patient,
        subscription=subscription,
        ordinal=_spare_ordinal(held),
        relationship=relationship,
    )
    coverage.full_clean()
    coverage.save()
    _renumber(_payment_order([*held, coverage], today))
    given = {"member_id": member_id, "effective_date": effective_date}
    audit_record(
        action="insurance.coverage_added",
        request=request,
        practice=patient.practice,
        obj=coverage,
        patient_id=patient.pk,
        detail={
            "fields": sorted(
                ["group_plan", "subscriber", "relationship", *(k for k, v in given.items() if v)]
            ),
            "subscription": "shared" if shared else "new",
        },
    )
    return coverage


def _share(
    subscription: Subscription,
    held: list[Coverage],
    subscriber: Patient,
    member_id: str,
    effective_date: datetime.date | None,
) -> None:
    """Use the subscriber's subscription as it is; what it lacks is filled in, what it says
    otherwise is refused (it is shared: changing it changes it for the whole family)."""
    errors = {}
    filled = []
    if member_id and subscription.member_id:
        if not same_member_id(member_id, subscription.member_id):
            errors["member_id"] = (
                f"{subscriber.full_name}'s subscription to this plan has member ID "
                f"{subscription.member_id}: leave this empty to use it."
            )
    elif member_id:
        subscription.member_id = member_id
        filled.append("member_id")
    if effective_date and subscription.effective_date:
        if effective_date != subscription.effective_date:
            errors["effective_date"] = (
                f"{subscriber.full_name}'s subscription to this plan took effect on "
                f"{subscription.effective_date:%m/%d/%Y}: leave this empty to use it."
            )
    elif effective_date:
        subscription.effective_date = effective_date
        filled.append("effective_date")
    if any(c.subscription_id == subscription.pk for c in held):
        errors["group_plan"] = "This patient is already covered by that subscription."
    if errors:
        raise ValidationError(errors)
    if filled:
        subscription.full_clean()
        subscription.save(update_fields=filled)


@transaction.atomic
def coverage_update(*, coverage: Coverage, request: HttpRequest, data: dict) -> list[str]:
    """Change the member ID and effective date (the subscription's, shared by everyone it
    covers) and the patient's relationship to the subscriber."""
    subscription = Subscription.objects.select_for_update().get(
        practice_id=coverage.practice_id, pk=coverage.subscription_id
    )
    coverage.subscription = subscription
    changed = []
    for field in ("member_id", "effective_date"):
        if field in data and getattr(subscription, field) != data[field]:
            setattr(subscription, field, data[field])
            changed.append(field)
    if "relationship" in data and coverage.relationship != data["relationship"]:
        coverage.relationship = data["relationship"]
        changed.append("relationship")
    if not changed:
        return []
    subscription.full_clean()
    coverage.full_clean()
    subscription_fields = [f for f in changed if f != "relationship"]
    if subscription_fields:
        subscription.save(update_fields=subscription_fields)
    if "relationship" in changed:
        coverage.save(update_fields=["relationship"])
    audit_record(
        action="insurance.coverage_updated",
        request=request,
        practice=coverage.practice,
        obj=coverage,
        patient_id=coverage.patient_id,
        detail={"fields": sorted(changed)},
    )
    return changed


@transaction.atomic
def coverage_make_primary(
    *, coverage: Coverage, request: HttpRequest, today: datetime.date
) -> bool:
    """Put the coverage first in the payment order; the others keep their order after it."""
    _lock_patient(coverage.patient)
    held = _held(coverage.patient)
    this = next((c for c in held if c.pk == coverage.pk), None)
    if this is None:
        raise ValidationError("This coverage was removed meanwhile.")
    if coverage_ended(this, today):
        raise ValidationError("An ended coverage cannot pay first: it no longer pays at all.")
    if this.ordinal == 1:
        return False
    _renumber([this, *(c for c in _payment_order(held, today) if c.pk != this.pk)])
    coverage.ordinal = this.ordinal
    audit_record(
        action="insurance.coverage_reordered",
        request=request,
        practice=coverage.practice,
        obj=coverage,
        patient_id=coverage.patient_id,
        detail={"fields": ["ordinal"]},
    )
    return True


@transaction.atomic
def coverage_end(
    *,
    coverage: Coverage,
    request: HttpRequest,
    ended_on: datetime.date | None,
    today: datetime.date,
) -> bool:
    """End the coverage's subscription on `ended_on` (None: in force again). The subscription is
    the subscriber's: it ends for everyone it covers, and each of them gets the coverages still
    in force first."""
    # Patients first, then the subscription: the order coverage_add takes its locks in.
    covered = list(
        Patient.objects.filter(
            practice_id=coverage.practice_id, coverages__subscription_id=coverage.subscription_id
        ).order_by("pk")
    )
    _lock_patient(coverage.patient, *covered)
    subscription = Subscription.objects.select_for_update().get(
        practice_id=coverage.practice_id, pk=coverage.subscription_id
    )
    if subscription.ended_on == ended_on:
        return False
    subscription.ended_on = ended_on
    subscription.full_clean()
    subscription.save(update_fields=["ended_on"])
    for patient in covered:
        _renumber(_payment_order(_held(patient), today))
    coverage.subscription = subscription
    audit_record(
        action="insurance.coverage_ended" if ended_on else "insurance.coverage_reopened",
        request=request,
        practice=coverage.practice,
        obj=coverage,
        patient_id=coverage.patient_id,
        detail={"fields": ["ended_on"], "covered_patients": len(covered)},
    )
    return True


@transaction.atomic
def coverage_remove(*, coverage: Coverage, request: HttpRequest, today: datetime.date) -> None:
    """Take a coverage off the patient (entered by mistake, or a dependent who left a plan the
    rest of the family keeps), with its eligibility checks. The subscription's history stays;
    a subscription left covering nobody and without history goes too."""
    _lock_patient(coverage.patient)
    checks = EligibilityCheck.objects.filter(
        practice_id=coverage.practice_id, coverage=coverage
    ).count()
    audit_record(
        action="insurance.coverage_removed",
        request=request,
        practice=coverage.practice,
        obj=coverage,
        patient_id=coverage.patient_id,
        detail={"fields": ["coverage"], "eligibility_checks": checks},
    )
    subscription = coverage.subscription
    Coverage.objects.filter(practice_id=coverage.practice_id, pk=coverage.pk).delete()
    practice_id = coverage.practice_id
    if (
        not Coverage.objects.filter(practice_id=practice_id, subscription=subscription).exists()
        and not InsuranceHistory.objects.filter(
            practice_id=practice_id, subscription=subscription
        ).exists()
    ):
        Subscription.objects.filter(practice_id=practice_id, pk=subscription.pk).delete()
    _renumber(_payment_order(_held(coverage.patient), today))


# --- History -------------------------------------------------------------------------------------


@transaction.atomic
def history_add(*, coverage: Coverage, request: HttpRequest, data: dict) -> InsuranceHistory:
    """Record earlier usage of the coverage's subscription by one of the people it covers."""
    covered = Coverage.objects.filter(
        practice_id=coverage.practice_id,
        subscription_id=coverage.subscription_id,
        patient=data["patient"],
    ).exists()
    if not covered:
        raise ValidationError({"patient": "This subscription does not cover that patient."})
    entry = InsuranceHistory(
        practice_id=coverage.practice_id,
        subscription_id=coverage.subscription_id,
        source=HistorySource.MANUAL,
        recorded_by=request.user,
        **{field: data[field] for field in HISTORY_FIELDS if field in data},
    )
    entry.full_clean()
    entry.save()
    audit_record(
        action="insurance.history_added",
        request=request,
        practice=coverage.practice,
        obj=entry,
        patient_id=entry.patient_id,
        detail={
            "fields": sorted(field for field in HISTORY_FIELDS if data.get(field) not in (None, ""))
        },
    )
    return entry


@transaction.atomic
def history_delete(*, entry: InsuranceHistory, request: HttpRequest) -> None:
    audit_record(
        action="insurance.history_deleted",
        request=request,
        obj=entry,
        patient_id=entry.patient_id,
        detail={"fields": ["kind"], "source": entry.source},
    )
    InsuranceHistory.objects.filter(practice_id=entry.practice_id, pk=entry.pk).delete()
