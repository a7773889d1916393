"""Writes to carriers and group plans. Each is atomic and leaves an audit event (field names
only). Benefits and downgrades are in insurance/benefit_services.py, fee schedules in
insurance/fee_services.py.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from coordinator.audit import audit_record
from coordinator.models import Practice
from insurance.models import (
    Benefit,
    BenefitsSource,
    Carrier,
    DowngradeRule,
    FeeSchedule,
    FeeScheduleEntry,
    GroupPlan,
)

CARRIER_FIELDS = ("name", "payer_id", "phone", "coinsurance_inverted", "is_active")
GROUP_PLAN_FIELDS = (
    "carrier",
    "employer",
    "group_number",
    "name",
    "plan_type",
    "cob_rule",
    "renewal_month",
    "missing_tooth_clause",
    "downgrades_enabled",
    "writeoff_on_downgraded",
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
    "benefits_source",
    "benefits_updated_on",
    "notes",
    "is_active",
)
# What a copy takes from its template: everything but who the plan is for and its verification.
COPIED_FIELDS = tuple(
    field
    for field in GROUP_PLAN_FIELDS
    if field not in ("employer", "group_number", "name", "benefits_source", "benefits_updated_on")
)


def apply_changes(row, data: dict, fields: tuple[str, ...]) -> list[str]:
    """Copy the given values of `fields` onto `row`; the names of the fields that changed."""
    changed = []
    for field in fields:
        # A missing relation reads as None (its error is an AttributeError).
        if field in data and getattr(row, field, None) != data[field]:
            setattr(row, field, data[field])
            changed.append(field)
    return changed


# --- Carriers ------------------------------------------------------------------------------------


@transaction.atomic
def carrier_create(*, practice: Practice, request: HttpRequest, data: dict) -> Carrier:
    carrier = Carrier(practice=practice)
    apply_changes(carrier, data, CARRIER_FIELDS)
    carrier.full_clean()
    carrier.save()
    audit_record(
        action="insurance.carrier_created",
        request=request,
        practice=practice,
        obj=carrier,
        detail={"fields": sorted(field for field in CARRIER_FIELDS if field in data)},
    )
    return carrier


@transaction.atomic
def carrier_update(*, carrier: Carrier, request: HttpRequest, data: dict) -> list[str]:
    changed = apply_changes(carrier, data, CARRIER_FIELDS)
    if changed:
        carrier.full_clean()
        carrier.save(update_fields=changed)
        audit_record(
            action="insurance.carrier_updated",
            request=request,
            practice=carrier.practice,
            obj=carrier,
            detail={"fields": sorted(changed)},
        )
    return changed


# --- Group plans ---------------------------------------------------------------------------------


def _check_schedules(group_plan: GroupPlan) -> None:
    """A plan type change must not leave fee schedules the new type does not use."""
    unused = (
        FeeScheduleEntry.objects.filter(practice_id=group_plan.practice_id, group_plan=group_plan)
        .exclude(schedule__in=group_plan.schedules)
        .values_list("schedule", flat=True)
        .distinct()
    )
    labels = sorted(FeeSchedule(schedule).label.lower() for schedule in unused)
    if labels:
        raise ValidationError(
            {
                "plan_type": f"A {group_plan.get_plan_type_display()} plan does not use "
                f"{' or '.join(labels)}, and this plan has some on file: remove them on the "
                "plan's page first."
            }
        )


@transaction.atomic
def group_plan_create(*, practice: Practice, request: HttpRequest, data: dict) -> GroupPlan:
    group_plan = GroupPlan(practice=practice)
    apply_changes(group_plan, data, GROUP_PLAN_FIELDS)
    group_plan.full_clean()
    group_plan.save()
    audit_record(
        action="insurance.group_plan_created",
        request=request,
        practice=practice,
        obj=group_plan,
        detail={"fields": sorted(field for field in GROUP_PLAN_FIELDS if field in data)},
    )
    return group_plan


@transaction.atomic
def group_plan_update(*, group_plan: GroupPlan, request: HttpRequest, data: dict) -> list[str]:
    # Under a lock, so a fee import cannot slip in a schedule while the type changes.
    GroupPlan.objects.select_for_update().filter(
        practice_id=group_plan.practice_id, pk=group_plan.pk
    ).first()
    changed = apply_changes(group_plan, data, GROUP_PLAN_FIELDS)
    if changed:
        group_plan.full_clean()
        if "plan_type" in changed:
            _check_schedules(group_plan)
        group_plan.save(update_fields=changed)
        audit_record(
            action="insurance.group_plan_updated",
            request=request,
            practice=group_plan.practice,
            obj=group_plan,
            detail={"fields": sorted(changed)},
        )
    return changed


@transaction.atomic
def group_plan_copy(*, source: GroupPlan, request: HttpRequest, data: dict) -> GroupPlan:
    """A new group plan on the same template: same type, benefits, downgrades and fees, for
    another employer. Its benefits are unverified (assumed) until someone checks them."""
    copy = GroupPlan(
        practice=source.practice,
        **{field: getattr(source, field) for field in COPIED_FIELDS},
        benefits_source=BenefitsSource.ASSUMED,
        benefits_updated_on=None,
    )
    copy.is_active = True
    apply_changes(copy, data, ("employer", "group_number", "name"))
    copy.full_clean()
    copy.save()
    practice_id = source.practice_id
    benefits = Benefit.objects.filter(practice_id=practice_id, group_plan=source)
    Benefit.objects.bulk_create(
        Benefit(
            practice_id=practice_id,
            group_plan=copy,
            **{
                field.attname: getattr(benefit, field.attname)
                for field in Benefit._meta.concrete_fields
                if field.attname not in ("id", "practice_id", "group_plan_id")
            },
        )
        for benefit in benefits
    )
    DowngradeRule.objects.bulk_create(
        DowngradeRule(
            practice_id=practice_id,
            group_plan=copy,
            code=rule.code,
            to_code=rule.to_code,
            when=rule.when,
        )
        for rule in DowngradeRule.objects.filter(practice_id=practice_id, group_plan=source)
    )
    FeeScheduleEntry.objects.bulk_create(
        (
            FeeScheduleEntry(
                practice_id=practice_id,
                group_plan=copy,
                schedule=entry.schedule,
                code=entry.code,
                amount=entry.amount,
            )
            for entry in FeeScheduleEntry.objects.filter(practice_id=practice_id, group_plan=source)
        ),
        batch_size=1000,
    )
    audit_record(
        action="insurance.group_plan_copied",
        request=request,
        practice=source.practice,
        obj=copy,
        detail={"from": str(source.pk), "fields": ["employer", "group_number", "name"]},
    )
    return copy
