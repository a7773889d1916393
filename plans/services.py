"""Writes to treatment plans. Each is atomic, audited, and leaves the plan's status current.

Changes to the live plan (options, phases, procedures, fees) take the version the editor saw
and refuse with `PlanChanged` when someone else changed the plan since, instead of silently
overwriting their work. Every change that could move a status ends in `plan_refresh_status`.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone

from coordinator.audit import audit_record
from coordinator.models import Practice, User
from coordinator.money import MAX_FEE, to_cents
from insurance import plan_estimates
from patients.models import Patient
from plans import followup_services
from plans.followup_models import StopReason
from plans.models import (
    MAX_WAIT_MONTHS,
    CompletedProcedure,
    Decision,
    DecisionKind,
    DecisionReason,
    Phase,
    PlannedProcedure,
    Presentation,
    PresentedOption,
    PresentedProcedure,
    ProcedureCode,
    ProcedureStatus,
    TreatmentOption,
    TreatmentPlan,
)
from plans.states import (
    ACCEPTED_STATES,
    OptionState,
    TransitionNotAllowed,
    check_procedure_transition,
    is_editable,
    plan_status,
)
from plans.teeth import site_problems
from plans.totals import FeeLine, option_totals


class PlanChanged(Exception):
    """Someone else changed the plan since this editor loaded it."""

    def __init__(self) -> None:
        super().__init__(
            "Someone else changed this plan while you were editing. "
            "Reload to see their changes, then make yours again."
        )


def _audit(request: HttpRequest | None, action: str, plan: TreatmentPlan, **detail) -> None:
    audit_record(
        action=action,
        request=request,
        practice=plan.practice,
        system_actor="" if request else "system",
        obj=plan,
        patient_id=plan.patient_id,
        detail=detail,
    )


def _lock(plan: TreatmentPlan, expected_version: int | None) -> TreatmentPlan:
    """Lock the plan row for this transaction; refuse if it moved past the editor's version."""
    locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk, practice=plan.practice)
    if expected_version is not None and locked.version != expected_version:
        raise PlanChanged
    return locked


def _bump(plan: TreatmentPlan) -> None:
    TreatmentPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1)
    plan.version += 1


def plan_refresh_status(plan: TreatmentPlan) -> None:
    """Derive the plan's status from its procedures (also used by the importer)."""
    options = [
        OptionState(
            recommended=option.recommended,
            statuses=tuple(procedure.status for procedure in option.procedures.all()),
        )
        for option in TreatmentOption.objects.filter(plan=plan).prefetch_related("procedures")
    ]
    status = plan_status(
        diagnosed=plan.diagnosed_at is not None,
        presented=plan.first_presented_at is not None,
        closed=plan.closed_at is not None,
        options=options,
    )
    if status != plan.status:
        plan.status = status
        plan.status_changed_at = timezone.now()
        plan.save(update_fields=["status", "status_changed_at", "updated_at"])


# --- The live plan -----------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *, practice: Practice, patient: Patient, dentist: User, request: HttpRequest, title: str = ""
) -> TreatmentPlan:
    plan = TreatmentPlan.objects.create(
        practice=practice, patient=patient, dentist=dentist, title=title.strip()
    )
    option = TreatmentOption.objects.create(
        practice=practice, plan=plan, name="Recommended", recommended=True, position=0
    )
    Phase.objects.create(practice=practice, option=option, number=1)
    _audit(request, "plan.created", plan)
    return plan


@transaction.atomic
def plan_update(
    *, plan: TreatmentPlan, request: HttpRequest, expected_version: int, title: str, dentist: User
) -> None:
    plan = _lock(plan, expected_version)
    plan.title = title.strip()
    plan.dentist = dentist
    plan.save(update_fields=["title", "dentist", "updated_at"])
    _bump(plan)
    _audit(request, "plan.updated", plan, fields=["title", "dentist"])


@transaction.atomic
def option_add(
    *, plan: TreatmentPlan, request: HttpRequest, expected_version: int, name: str
) -> TreatmentOption:
    plan = _lock(plan, expected_version)
    position = (plan.options.aggregate(last=Max("position"))["last"] or 0) + 1
    option = TreatmentOption.objects.create(
        practice=plan.practice,
        plan=plan,
        name=name.strip(),
        recommended=not plan.options.exists(),
        position=position,
    )
    Phase.objects.create(practice=plan.practice, option=option, number=1)
    _bump(plan)
    _audit(request, "plan.option_added", plan)
    return option


@transaction.atomic
def option_update(
    *, option: TreatmentOption, request: HttpRequest, expected_version: int, name: str
) -> None:
    plan = _lock(option.plan, expected_version)
    option.name = name.strip()
    option.save(update_fields=["name"])
    _bump(plan)
    _audit(request, "plan.option_renamed", plan)


@transaction.atomic
def option_recommend(
    *, option: TreatmentOption, request: HttpRequest, expected_version: int
) -> None:
    plan = _lock(option.plan, expected_version)
    TreatmentOption.objects.filter(plan=plan, recommended=True).update(recommended=False)
    TreatmentOption.objects.filter(pk=option.pk).update(recommended=True)
    _bump(plan)
    plan_refresh_status(plan)
    _audit(request, "plan.option_recommended", plan)


@transaction.atomic
def option_move(
    *, option: TreatmentOption, request: HttpRequest, expected_version: int, offset: int
) -> None:
    """Move an option left (-1) or right (+1) among its siblings."""
    plan = _lock(option.plan, expected_version)
    options = list(TreatmentOption.objects.filter(plan=plan).order_by("position", "name"))
    index = next(i for i, candidate in enumerate(options) if candidate.pk == option.pk)
    target = index + offset
    if 0 <= target < len(options):
        options.insert(target, options.pop(index))
        for position, candidate in enumerate(options):
            if candidate.position != position:
                TreatmentOption.objects.filter(pk=candidate.pk).update(position=position)
        _bump(plan)


@transaction.atomic
def option_remove(*, option: TreatmentOption, request: HttpRequest, expected_version: int) -> None:
    plan = _lock(option.plan, expected_version)
    if TreatmentOption.objects.filter(plan=plan).count() == 1:
        raise ValidationError("A plan needs at least one option.")
    if option.procedures.exclude(status=ProcedureStatus.PROPOSED).exists():
        raise ValidationError("This option has decisions or completed work: it cannot be removed.")
    if option.procedures.filter(presented_as__isnull=False).exists():
        raise ValidationError("This option was presented: it stays on record.")
    was_recommended = option.recommended
    option.procedures.all().delete()
    option.delete()
    if was_recommended:
        TreatmentOption.objects.filter(
            pk=TreatmentOption.objects.filter(plan=plan).order_by("position").values("pk")[:1]
        ).update(recommended=True)
    _bump(plan)
    plan_refresh_status(plan)
    _audit(request, "plan.option_removed", plan)


@transaction.atomic
def phase_add(*, option: TreatmentOption, request: HttpRequest, expected_version: int) -> Phase:
    plan = _lock(option.plan, expected_version)
    number = (option.phases.aggregate(last=Max("number"))["last"] or 0) + 1
    phase = Phase.objects.create(practice=plan.practice, option=option, number=number)
    _bump(plan)
    return phase


@transaction.atomic
def phase_update(*, phase: Phase, request: HttpRequest, expected_version: int, name: str) -> None:
    plan = _lock(phase.option.plan, expected_version)
    phase.name = name.strip()
    phase.save(update_fields=["name"])
    _bump(plan)


@transaction.atomic
def phase_remove(*, phase: Phase, request: HttpRequest, expected_version: int) -> None:
    plan = _lock(phase.option.plan, expected_version)
    if phase.procedures.exists():
        raise ValidationError("Move or remove this phase's procedures first.")
    if phase.option.phases.count() == 1:
        raise ValidationError("An option needs at least one phase.")
    phase.delete()
    # Keep phases numbered 1, 2, 3… in clinical order.
    for number, remaining in enumerate(phase.option.phases.order_by("number"), start=1):
        if remaining.number != number:
            Phase.objects.filter(pk=remaining.pk).update(number=number)
    _bump(plan)


def _check_open(plan: TreatmentPlan) -> None:
    if plan.closed_at is not None:
        raise TransitionNotAllowed("This plan is closed: reopen it first.")


@transaction.atomic
def phase_set_benefit_year(
    *, phase: Phase, request: HttpRequest, expected_version: int, next_benefit_year: bool
) -> None:
    """Plan the phase for the primary insurance's next benefit year, or back into this one."""
    plan = _lock(phase.option.plan, expected_version)
    _check_open(plan)
    phase.next_benefit_year = next_benefit_year
    phase.save(update_fields=["next_benefit_year"])
    _bump(plan)
    _audit(
        request,
        "plan.phase_benefit_year",
        plan,
        phase=phase.number,
        next_benefit_year=next_benefit_year,
    )


@transaction.atomic
def phase_set_wait(
    *, phase: Phase, request: HttpRequest, expected_version: int, may_wait_months: int
) -> None:
    """How long the dentist lets this phase wait (what a split across benefit years may use)."""
    plan = _lock(phase.option.plan, expected_version)
    _check_open(plan)
    if not 0 <= may_wait_months <= MAX_WAIT_MONTHS:
        raise ValidationError({"may_wait_months": f"From 0 to {MAX_WAIT_MONTHS} months."})
    phase.may_wait_months = may_wait_months
    phase.save(update_fields=["may_wait_months"])
    _bump(plan)
    _audit(request, "plan.phase_wait", plan, phase=phase.number, months=may_wait_months)


@transaction.atomic
def option_split_benefit_years(
    *,
    option: TreatmentOption,
    request: HttpRequest,
    expected_version: int,
    next_year_phases: frozenset[int],
) -> None:
    """Date exactly these phases (by number) in the next benefit year, the others in this one."""
    plan = _lock(option.plan, expected_version)
    _check_open(plan)
    phases = list(Phase.objects.filter(option=option, practice=plan.practice))
    if not next_year_phases <= {phase.number for phase in phases}:
        raise ValidationError("That split names a phase this option does not have: reload.")
    for phase in phases:
        wanted = phase.number in next_year_phases
        if phase.next_benefit_year != wanted:
            Phase.objects.filter(pk=phase.pk).update(next_benefit_year=wanted)
    _bump(plan)
    _audit(
        request,
        "plan.benefit_years_split",
        plan,
        option=str(option.pk),
        next_year_phases=sorted(next_year_phases),
    )


def _check_site(code: ProcedureCode, tooth: str, surfaces: str, area: str) -> None:
    problems = site_problems(code.site, tooth=tooth, surfaces=surfaces, area=area)
    if problems:
        raise ValidationError(problems)


def _check_fee(code: ProcedureCode, fee: Decimal, fee_reason: str) -> Decimal:
    fee = to_cents(fee)
    if not 0 <= fee <= MAX_FEE:
        raise ValidationError({"fee": f"A fee is between 0 and {MAX_FEE}."})
    if fee != code.fee and not fee_reason.strip():
        raise ValidationError(
            {"fee_reason": f"Say why the fee differs from the catalog's {code.fee}."}
        )
    return fee


@transaction.atomic
def procedure_add(
    *,
    option: TreatmentOption,
    phase: Phase,
    code: ProcedureCode,
    request: HttpRequest,
    expected_version: int,
    tooth: str = "",
    surfaces: str = "",
    area: str = "",
    fee: Decimal | None = None,
    fee_reason: str = "",
) -> PlannedProcedure:
    plan = _lock(option.plan, expected_version)
    if phase.option_id != option.pk:
        raise ValidationError({"phase": "That phase belongs to another option."})
    _check_site(code, tooth, surfaces, area)
    fee = _check_fee(code, code.fee if fee is None else fee, fee_reason)
    position = (option.procedures.aggregate(last=Max("position"))["last"] or 0) + 1
    procedure = PlannedProcedure.objects.create(
        practice=plan.practice,
        option=option,
        phase=phase,
        procedure_code=code,
        tooth=tooth,
        surfaces="".join(sorted(surfaces, key="MODBLIF".index)),
        area=area,
        fee=fee,
        fee_reason=fee_reason.strip() if fee != code.fee else "",
        position=position,
    )
    _bump(plan)
    plan_refresh_status(plan)
    _audit(request, "plan.procedure_added", plan)
    return procedure


@transaction.atomic
def procedure_update(
    *,
    procedure: PlannedProcedure,
    request: HttpRequest,
    expected_version: int,
    phase: Phase,
    tooth: str,
    surfaces: str,
    area: str,
    fee: Decimal,
    fee_reason: str,
) -> None:
    plan = _lock(procedure.option.plan, expected_version)
    procedure.refresh_from_db()  # a decision may have landed since the editor loaded it
    if not is_editable(procedure.status):
        raise ValidationError("Scheduled or completed work cannot be changed.")
    if phase.option_id != procedure.option_id:
        raise ValidationError({"phase": "That phase belongs to another option."})
    code = procedure.procedure_code
    _check_site(code, tooth, surfaces, area)
    fee = _check_fee(code, fee, fee_reason)
    procedure.phase = phase
    procedure.tooth = tooth
    procedure.surfaces = "".join(sorted(surfaces, key="MODBLIF".index))
    procedure.area = area
    procedure.fee = fee
    procedure.fee_reason = fee_reason.strip() if fee != code.fee else ""
    procedure.save(update_fields=["phase", "tooth", "surfaces", "area", "fee", "fee_reason"])
    _bump(plan)
    _audit(request, "plan.procedure_changed", plan)


@transaction.atomic
def procedure_remove(
    *, procedure: PlannedProcedure, request: HttpRequest, expected_version: int
) -> None:
    plan = _lock(procedure.option.plan, expected_version)
    if procedure.status != ProcedureStatus.PROPOSED or procedure.decisions.exists():
        raise ValidationError("This procedure has a decision on record: decline it instead.")
    if procedure.presented_as.exists():
        raise ValidationError("This procedure was presented: decline it instead of removing it.")
    procedure.delete()
    _bump(plan)
    plan_refresh_status(plan)
    _audit(request, "plan.procedure_removed", plan)


@transaction.atomic
def plan_diagnose(*, plan: TreatmentPlan, request: HttpRequest, expected_version: int) -> None:
    plan = _lock(plan, expected_version)
    if plan.diagnosed_at is not None:
        raise TransitionNotAllowed("This plan is already diagnosed.")
    if not PlannedProcedure.objects.filter(option__plan=plan).exists():
        raise TransitionNotAllowed("Add at least one procedure before marking it diagnosed.")
    plan.diagnosed_at = timezone.now()
    plan.save(update_fields=["diagnosed_at", "updated_at"])
    plan_refresh_status(plan)
    _audit(request, "plan.diagnosed", plan)


@transaction.atomic
def plan_close(*, plan: TreatmentPlan, request: HttpRequest | None, reason: str) -> None:
    plan = _lock(plan, None)
    if plan.closed_at is not None:
        raise TransitionNotAllowed("This plan is already closed.")
    plan.closed_at = timezone.now()
    plan.close_reason = reason
    plan.save(update_fields=["closed_at", "close_reason", "updated_at"])
    plan_refresh_status(plan)
    followup_services.follow_up_stop(plan=plan, reason=StopReason.CLOSED, at=plan.closed_at)
    _audit(request, "plan.closed", plan, reason=reason)


@transaction.atomic
def plan_reopen(*, plan: TreatmentPlan, request: HttpRequest | None) -> None:
    plan = _lock(plan, None)
    if plan.closed_at is None:
        raise TransitionNotAllowed("This plan is open.")
    plan.closed_at = None
    plan.close_reason = ""
    plan.save(update_fields=["closed_at", "close_reason", "updated_at"])
    plan_refresh_status(plan)
    # No automatic restart: the coordinator restarts the follow-up if it is still wanted.
    _audit(request, "plan.reopened", plan)


# --- Presenting ---------------------------------------------------------------------------------


@transaction.atomic
def plan_present(
    *,
    plan: TreatmentPlan,
    request: HttpRequest | None,
    expected_version: int | None,
    presented_by: User,
    mode: str,
    at: datetime | None = None,
    note: str = "",
) -> Presentation:
    """Record that the patient was shown the plan as it is now, and freeze what they saw."""
    plan = _lock(plan, expected_version)
    if plan.closed_at is not None:
        raise TransitionNotAllowed("Reopen the plan before presenting it.")
    options = list(
        TreatmentOption.objects.filter(plan=plan)
        .order_by("position", "name")
        .prefetch_related("procedures__procedure_code", "procedures__phase")
    )
    if not any(option.procedures.all() for option in options):
        raise TransitionNotAllowed("There is nothing to present yet: add procedures first.")
    at = at or timezone.now()
    presentation = Presentation.objects.create(
        practice=plan.practice,
        plan=plan,
        presented_by=presented_by,
        mode=mode,
        at=at,
        plan_version=plan.version,
        note=note.strip(),
    )
    rows = []
    as_of = timezone.localdate(at)
    coverages = plan_estimates.patient_coverages(patient=plan.patient, as_of=as_of)
    for position, option in enumerate(options):
        procedures = sorted(option.procedures.all(), key=lambda p: (p.phase.number, p.position))
        totals = option_totals(FeeLine(p.phase.number, p.fee) for p in procedures)
        estimate = plan_estimates.estimate_option(
            practice=plan.practice,
            patient=plan.patient,
            procedures=procedures,
            coverages=coverages,
            as_of=as_of,
        )
        insured = estimate.has_insurance
        shown = PresentedOption.objects.create(
            practice=plan.practice,
            presentation=presentation,
            option=option,
            name=option.name,
            recommended=option.recommended,
            position=position,
            total_fee=totals.total,
            total_insurance=estimate.total.insurance if insured else None,
            total_writeoff=estimate.total.writeoff if insured else None,
            total_patient=estimate.total.patient if insured else None,
            estimate_scenario=estimate.scenario if insured else None,
            benefits_summary=plan_estimates.benefits_summary(estimate),
        )
        for index, procedure in enumerate(procedures):
            line = estimate.procedures.get(procedure.pk) if insured else None
            rows.append(
                PresentedProcedure(
                    practice=plan.practice,
                    presented_option=shown,
                    procedure=procedure,
                    code=procedure.procedure_code.code,
                    category=procedure.procedure_code.category,
                    description=procedure.procedure_code.description,
                    tooth=procedure.tooth,
                    surfaces=procedure.surfaces,
                    area=procedure.area,
                    phase_number=procedure.phase.number,
                    phase_name=procedure.phase.name,
                    fee=procedure.fee,
                    position=index,
                    insurance=line.totals.insurance if line else None,
                    writeoff=line.totals.writeoff if line else None,
                    patient_portion=line.totals.patient if line else None,
                    estimate_notes=line.notes if line else [],
                    next_benefit_year=procedure.phase.next_benefit_year,
                )
            )
    PresentedProcedure.objects.bulk_create(rows)
    fields = []
    if plan.diagnosed_at is None:
        plan.diagnosed_at = at  # presenting a plan means it was diagnosed
        fields.append("diagnosed_at")
    if plan.first_presented_at is None or at < plan.first_presented_at:
        plan.first_presented_at = at
        fields.append("first_presented_at")
    if fields:
        plan.save(update_fields=[*fields, "updated_at"])
    plan_refresh_status(plan)
    followup_services.follow_up_after_presenting(plan=plan, presentation=presentation)
    _audit(request, "plan.presented", plan, mode=mode)
    return presentation


# --- Decisions and completed work ------------------------------------------------------------


def _mark_diagnosed(plan: TreatmentPlan, at: datetime) -> None:
    """A decision or completed work on a draft means the dentist's diagnosis stands."""
    if plan.diagnosed_at is None:
        plan.diagnosed_at = at
        plan.save(update_fields=["diagnosed_at", "updated_at"])


def _decide(
    procedure: PlannedProcedure,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    reason: str = "",
    note: str = "",
) -> Decision:
    if kind != DecisionKind.ACCEPTED and not reason:
        raise ValidationError({"reason": "Say why: the reason decides the follow-up."})
    if kind == DecisionKind.ACCEPTED:
        reason = ""
    check_procedure_transition(procedure.status, kind)
    decision = Decision.objects.create(
        practice=procedure.practice,
        procedure=procedure,
        kind=kind,
        at=at,
        recorded_by=by,
        reason=reason,
        note=note.strip(),
    )
    procedure.status = kind
    procedure.status_changed_at = at
    procedure.save(update_fields=["status", "status_changed_at"])
    return decision


@transaction.atomic
def procedure_decide(
    *,
    procedure: PlannedProcedure,
    request: HttpRequest | None,
    kind: str,
    by: User | None,
    reason: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Decision:
    plan = _lock(procedure.option.plan, None)
    _check_open(plan)
    procedure.refresh_from_db()
    at = at or timezone.now()
    if kind == DecisionKind.ACCEPTED:
        chosen = (
            TreatmentOption.objects.filter(plan=plan, procedures__status__in=ACCEPTED_STATES)
            .exclude(pk=procedure.option_id)
            .first()
        )
        if chosen is not None:
            raise TransitionNotAllowed(
                f"The patient chose {chosen.name}: to switch, accept this whole option instead."
            )
    decision = _decide(procedure, kind, by=by, at=at, reason=reason, note=note)
    _mark_diagnosed(plan, at)
    plan_refresh_status(plan)
    followup_services.follow_up_after_decision(
        plan=plan, by=by, at=at, kind=kind, reason=decision.reason
    )
    _audit(request, f"plan.procedure_{kind}", plan, reason=reason)
    return decision


@transaction.atomic
def option_accept(
    *, option: TreatmentOption, request: HttpRequest | None, by: User | None, at=None
) -> None:
    """The patient chose this option: accept its undecided work and decline the alternatives."""
    plan = _lock(option.plan, None)
    _check_open(plan)
    at = at or timezone.now()
    siblings = PlannedProcedure.objects.filter(option__plan=plan).exclude(option=option)
    if siblings.filter(status__in=(ProcedureStatus.SCHEDULED, ProcedureStatus.COMPLETED)).exists():
        raise TransitionNotAllowed(
            "Another option has scheduled or completed work: cancel or finish it first."
        )
    for procedure in option.procedures.all():
        if procedure.status in (
            ProcedureStatus.PROPOSED,
            ProcedureStatus.DEFERRED,
            ProcedureStatus.DECLINED,
        ):
            _decide(procedure, DecisionKind.ACCEPTED, by=by, at=at)
    for procedure in siblings:
        if procedure.status in (
            ProcedureStatus.PROPOSED,
            ProcedureStatus.DEFERRED,
            ProcedureStatus.ACCEPTED,
        ):
            _decide(
                procedure,
                DecisionKind.DECLINED,
                by=by,
                at=at,
                reason=DecisionReason.OTHER_OPTION,
                note=f"Chose {option.name}",
            )
    _mark_diagnosed(plan, at)
    plan_refresh_status(plan)
    followup_services.follow_up_after_decision(plan=plan, by=by, at=at)
    _audit(request, "plan.option_accepted", plan)


@transaction.atomic
def procedure_complete(
    *,
    procedure: PlannedProcedure,
    request: HttpRequest | None,
    completed_on: date,
    dentist: User,
    by: User | None,
) -> CompletedProcedure:
    plan = _lock(procedure.option.plan, None)
    _check_open(plan)
    procedure.refresh_from_db()
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "Completed work cannot be in the future."})
    check_procedure_transition(procedure.status, ProcedureStatus.COMPLETED)
    completion = CompletedProcedure.objects.create(
        practice=plan.practice,
        patient=plan.patient,
        planned=procedure,
        procedure_code=procedure.procedure_code,
        tooth=procedure.tooth,
        fee=procedure.fee,
        completed_on=completed_on,
        dentist=dentist,
        recorded_by=by,
    )
    procedure.status = ProcedureStatus.COMPLETED
    procedure.status_changed_at = timezone.now()
    procedure.save(update_fields=["status", "status_changed_at"])
    _mark_diagnosed(plan, procedure.status_changed_at)
    plan_refresh_status(plan)
    followup_services.follow_up_after_decision(plan=plan, by=by, at=procedure.status_changed_at)
    _audit(request, "plan.procedure_completed", plan)
    return completion
