"""Writes of the metrics app: the practice's goals."""

from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest

from coordinator.audit import audit_record
from coordinator.models import Practice
from metrics.models import PracticeGoals


def goals_set(
    *,
    practice: Practice,
    request: HttpRequest,
    case_acceptance_rate: Decimal,
    presentation_rate: Decimal | None,
    follow_up_conversion_rate: Decimal | None,
) -> PracticeGoals:
    """Store the practice's goals (fractions) and record who changed them."""
    with transaction.atomic():
        goals, _ = PracticeGoals.objects.select_for_update().get_or_create(practice=practice)
        before = {
            "case_acceptance_rate": str(goals.case_acceptance_rate),
            "presentation_rate": _text(goals.presentation_rate),
            "follow_up_conversion_rate": _text(goals.follow_up_conversion_rate),
        }
        goals.case_acceptance_rate = case_acceptance_rate
        goals.presentation_rate = presentation_rate
        goals.follow_up_conversion_rate = follow_up_conversion_rate
        goals.updated_by = request.user
        goals.full_clean()
        goals.save()
        audit_record(
            action="metrics.goals_set",
            request=request,
            obj=goals,
            detail={
                "before": before,
                "after": {
                    "case_acceptance_rate": str(case_acceptance_rate),
                    "presentation_rate": _text(presentation_rate),
                    "follow_up_conversion_rate": _text(follow_up_conversion_rate),
                },
            },
        )
    return goals


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
