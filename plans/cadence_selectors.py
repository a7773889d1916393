"""Reads for the cadence settings pages, scoped to one practice."""

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from coordinator.models import Practice
from plans.followup_models import Cadence, CadenceStep, FollowUp, FollowUpStatus


def cadence_list(*, practice: Practice) -> QuerySet[Cadence]:
    """The practice's cadences with their steps and how many active follow-ups use each."""
    in_use = (
        FollowUp.objects.filter(cadence=OuterRef("pk"), status=FollowUpStatus.ACTIVE)
        .order_by()
        .values("cadence")
        .annotate(total=Count("pk"))
        .values("total")[:1]
    )
    return (
        Cadence.objects.filter(practice=practice)
        .annotate(in_use=Coalesce(Subquery(in_use, output_field=IntegerField()), Value(0)))
        .prefetch_related(Prefetch("steps", queryset=CadenceStep.objects.order_by("number")))
        .order_by("-is_default", "-is_active", "name")
    )


def cadence_steps(*, practice: Practice, cadence: Cadence) -> QuerySet[CadenceStep]:
    return CadenceStep.objects.filter(practice=practice, cadence=cadence)
