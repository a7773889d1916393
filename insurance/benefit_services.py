"""Writes to a group plan's benefit rows and downgrade rules; atomic and audited (field names)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from coordinator.audit import audit_record
from insurance.models import BENEFIT_VALUE_FIELDS, Benefit, BenefitSource, DowngradeRule, GroupPlan
from insurance.services import apply_changes

BENEFIT_FIELDS = ("scope", *BENEFIT_VALUE_FIELDS, "note")


def _empty_values() -> dict:
    """Every value field empty: a row holds only what its kind uses (the form fills those)."""
    return {
        field: None if Benefit._meta.get_field(field).null else "" for field in BENEFIT_VALUE_FIELDS
    }


@transaction.atomic
def benefit_create(
    *, group_plan: GroupPlan, request: HttpRequest, kind: str, data: dict
) -> Benefit:
    benefit = Benefit(
        practice_id=group_plan.practice_id,
        group_plan=group_plan,
        kind=kind,
        source=BenefitSource.MANUAL,
    )
    apply_changes(benefit, {**_empty_values(), **data}, BENEFIT_FIELDS)
    benefit.full_clean()
    benefit.save()
    audit_record(
        action="insurance.benefit_created",
        request=request,
        practice=group_plan.practice,
        obj=benefit,
        detail={
            "kind": kind,
            "fields": sorted(field for field in data if data[field] not in (None, "")),
        },
    )
    return benefit


@transaction.atomic
def benefit_update(*, benefit: Benefit, request: HttpRequest, data: dict) -> list[str]:
    """Change a row; a row changed by hand is a manual one from now on."""
    changed = apply_changes(benefit, {**_empty_values(), **data}, BENEFIT_FIELDS)
    if changed:
        benefit.source = BenefitSource.MANUAL
        benefit.full_clean()
        benefit.save()
        audit_record(
            action="insurance.benefit_updated",
            request=request,
            practice=benefit.group_plan.practice,
            obj=benefit,
            detail={"kind": benefit.kind, "fields": sorted(changed)},
        )
    return changed


@transaction.atomic
def benefit_delete(*, benefit: Benefit, request: HttpRequest) -> None:
    audit_record(
        action="insurance.benefit_deleted",
        request=request,
        practice=benefit.group_plan.practice,
        obj=benefit,
        detail={"kind": benefit.kind, "group_plan": str(benefit.group_plan_id)},
    )
    benefit.delete()


def _rule_exists(when_label: str) -> ValidationError:
    return ValidationError(
        {"when": f"This plan already has a rule for that code “{when_label.lower()}”."}
    )


def downgrade_create(*, group_plan: GroupPlan, request: HttpRequest, data: dict) -> DowngradeRule:
    rule = DowngradeRule(practice_id=group_plan.practice_id, group_plan=group_plan)
    apply_changes(rule, data, ("code", "to_code", "when"))
    try:
        with transaction.atomic():
            taken = DowngradeRule.objects.filter(
                practice_id=group_plan.practice_id,
                group_plan=group_plan,
                code=rule.code,
                when=rule.when,
            )
            if taken.exists():
                raise _rule_exists(rule.get_when_display())
            rule.full_clean()
            rule.save()
            audit_record(
                action="insurance.downgrade_created",
                request=request,
                practice=group_plan.practice,
                obj=rule,
                detail={"fields": ["code", "to_code", "when"]},
            )
    except IntegrityError:
        # Someone added the same rule a moment ago (full_clean checks the rest).
        raise _rule_exists(rule.get_when_display()) from None
    return rule


@transaction.atomic
def downgrade_delete(*, rule: DowngradeRule, request: HttpRequest) -> None:
    audit_record(
        action="insurance.downgrade_deleted",
        request=request,
        practice=rule.group_plan.practice,
        obj=rule,
        detail={"group_plan": str(rule.group_plan_id)},
    )
    rule.delete()
