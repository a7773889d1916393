"""Reads of treatment plans, always within one practice."""

import re

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from coordinator.models import Practice, User
from coordinator.roles import Role
from plans.models import (
    Decision,
    Phase,
    PlannedProcedure,
    Presentation,
    ProcedureCode,
    TreatmentOption,
    TreatmentPlan,
)


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


# --- The plan page -------------------------------------------------------------------------------

_CODE_TYPED = re.compile(r"^D?(\d{1,4})$", re.IGNORECASE)


def plan_page_options(*, plan: TreatmentPlan) -> QuerySet[TreatmentOption]:
    """Options in order with everything the plan page shows, in a fixed number of queries.

    Each procedure comes with its code, phase, completion (and its dentist) and its decision
    history (oldest first, with who recorded each).
    """
    decisions = Decision.objects.select_related("recorded_by").order_by("at", "id")
    procedures = (
        PlannedProcedure.objects.select_related(
            "procedure_code", "phase", "completion", "completion__dentist"
        )
        .prefetch_related(Prefetch("decisions", queryset=decisions))
        .order_by("phase__number", "position")
    )
    return (
        TreatmentOption.objects.filter(plan=plan, practice=plan.practice_id)
        .order_by("position", "name")
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("number")),
            Prefetch("procedures", queryset=procedures),
        )
    )


def plan_presentations(*, plan: TreatmentPlan) -> QuerySet[Presentation]:
    return (
        Presentation.objects.filter(plan=plan, practice=plan.practice_id)
        .select_related("presented_by")
        .order_by("-at", "-recorded_at")
    )


def practice_dentists(*, practice: Practice) -> list[User]:
    """Active staff who work as dentists at the practice, by name."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__practice=practice,
            memberships__role=Role.DENTIST,
            memberships__is_active=True,
        ).order_by("name", "email")
    )


def option_get(*, plan: TreatmentPlan, option_id) -> TreatmentOption:
    option = get_object_or_404(TreatmentOption, plan=plan, practice=plan.practice_id, pk=option_id)
    option.plan = plan
    return option


def phase_get(*, plan: TreatmentPlan, phase_id) -> Phase:
    phase = get_object_or_404(
        Phase.objects.select_related("option"),
        option__plan=plan,
        practice=plan.practice_id,
        pk=phase_id,
    )
    phase.option.plan = plan
    return phase


def procedure_get(*, plan: TreatmentPlan, procedure_id) -> PlannedProcedure:
    procedure = get_object_or_404(
        PlannedProcedure.objects.select_related("option", "procedure_code", "phase"),
        option__plan=plan,
        practice=plan.practice_id,
        pk=procedure_id,
    )
    procedure.option.plan = plan
    return procedure


def procedure_code_find(*, practice: Practice, code: str) -> ProcedureCode | None:
    """The active catalog code typed in full ("D2740", "d2740" or "2740"), if there is one."""
    match = _CODE_TYPED.match(code.strip())
    if not match or len(match.group(1)) != 4:
        return None
    return ProcedureCode.objects.filter(
        practice=practice, code=f"D{match.group(1)}", is_active=True
    ).first()


def procedure_code_search(
    *, practice: Practice, query: str, limit: int = 8
) -> QuerySet[ProcedureCode]:
    """Active codes whose code starts with what was typed, or whose description has every word."""
    text = query.replace("\x00", "").strip()
    codes = ProcedureCode.objects.filter(practice=practice, is_active=True)
    if not text:
        return codes.none()
    match = _CODE_TYPED.match(text)
    if match:
        return codes.filter(code__startswith=f"D{match.group(1)}").order_by("code")[:limit]
    condition = Q()
    for word in text.split()[:6]:
        condition &= Q(description__icontains=word) | Q(code__iexact=word)
    return codes.filter(condition).order_by("code")[:limit]
