"""Reads of treatment plans, always within one practice."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from coordinator.models import Practice
from plans.models import Phase, PlannedProcedure, TreatmentOption, TreatmentPlan


def plan_get(*, practice: Practice, plan_id) -> TreatmentPlan:
    """The practice's plan with its patient and dentist; 404 for anything else."""
    return get_object_or_404(
        TreatmentPlan.objects.select_related("patient", "dentist"), practice=practice, pk=plan_id
    )


def plan_options(*, plan: TreatmentPlan) -> QuerySet[TreatmentOption]:
    """Options in order, each with its phases and procedures (and their codes) prefetched."""
    procedures = PlannedProcedure.objects.select_related("procedure_code", "phase").order_by(
        "phase__number", "position"
    )
    return (
        TreatmentOption.objects.filter(plan=plan, practice=plan.practice)
        .order_by("position", "name")
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("number")),
            Prefetch("procedures", queryset=procedures),
        )
    )
