"""Writes from the follow-up queue: log a call's outcome, hand a call or a follow-up to someone.

Logging an outcome is one transaction: the touch (through `followup_services.touch_record`,
which marks the call done and books a call-back), then, for "accepted", "declined" and "not
now", the decision through the ordinary plan services, so the plan's status and its follow-up
move exactly as they do from the plan page. Any refusal rolls the whole thing back.
"""

import datetime

from django.db import transaction
from django.http import HttpRequest

from coordinator.audit import audit_record
from coordinator.models import User
from plans import followup_services, services
from plans.followup_models import (
    Channel,
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderStatus,
    Touch,
    TouchOutcome,
)
from plans.models import (
    DecisionKind,
    PlannedProcedure,
    ProcedureStatus,
    TreatmentOption,
    TreatmentPlan,
)
from plans.queue_forms import CallOutcome
from plans.states import ACCEPTED_STATES, UNDECIDED_STATES


class CallClosed(Exception):
    """The call is no longer waiting for an outcome (logged already, or its follow-up stopped)."""


def call_closed_message(reminder: Reminder) -> str:
    """Why a call can no longer be logged or moved, in the caller's words."""
    if reminder.status == ReminderStatus.DONE:
        touch = Touch.objects.filter(reminder=reminder).select_related("by").first()
        if touch is not None:
            who = touch.by.name if touch.by else "automatically"
            return (
                f"This call was already logged ({touch.get_outcome_display().lower()}, "
                f"by {who}): nothing was changed."
            )
        return "This call was already logged: nothing was changed."
    return (
        f"This call is no longer due ({reminder.get_status_display().lower()}): "
        "nothing was changed."
    )


def _lock_call(reminder: Reminder) -> Reminder:
    """Lock the plan, then the call (the follow-up services' lock order), and check it is open."""
    TreatmentPlan.objects.select_for_update().get(
        pk=reminder.plan_id, practice=reminder.practice_id
    )
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk, practice=reminder.practice_id)
    if locked.status != ReminderStatus.PENDING:
        raise CallClosed(call_closed_message(locked))
    return locked


def _option_to_accept(plan: TreatmentPlan) -> TreatmentOption:
    """The option the patient went with (accepted work), else the recommended one."""
    options = TreatmentOption.objects.filter(plan=plan, practice=plan.practice_id)
    chosen = (
        options.filter(procedures__status__in=ACCEPTED_STATES).order_by("position", "name").first()
    )
    return chosen or options.filter(recommended=True).first() or options.order_by("position")[0]


@transaction.atomic
def call_log_outcome(
    *,
    reminder: Reminder,
    outcome: str,
    by: User,
    request: HttpRequest | None,
    reason: str = "",
    call_back_on: datetime.date | None = None,
    note: str = "",
) -> Touch:
    """Log what happened on a call from the queue. Raises `CallClosed` when it was logged
    already (a double click), TransitionNotAllowed or ValidationError when the plan refuses the
    decision; nothing is written then."""
    reminder = _lock_call(reminder)
    plan = reminder.plan
    # A call-back, an acceptance or a decline means the patient was on the line.
    touch_outcome = (
        outcome
        if outcome in (TouchOutcome.REACHED, TouchOutcome.VOICEMAIL, TouchOutcome.NO_ANSWER)
        else TouchOutcome.REACHED
    )
    touch = followup_services.touch_record(
        plan=plan,
        channel=Channel.CALL,
        outcome=touch_outcome,
        by=by,
        note=note,
        reminder=reminder,
        call_back_on=call_back_on if outcome == CallOutcome.CALL_BACK else None,
        request=request,
    )
    if outcome == CallOutcome.ACCEPTED:
        services.option_accept(option=_option_to_accept(plan), request=request, by=by)
    elif outcome in (CallOutcome.DECLINED, CallOutcome.DEFERRED):
        kind = DecisionKind.DECLINED if outcome == CallOutcome.DECLINED else DecisionKind.DEFERRED
        # Deferring leaves deferred work as it is; declining covers everything still open.
        open_states = (
            UNDECIDED_STATES if kind == DecisionKind.DECLINED else {ProcedureStatus.PROPOSED}
        )
        procedures = PlannedProcedure.objects.filter(
            option__plan=plan, practice=plan.practice_id, status__in=open_states
        ).order_by("option__position", "phase__number", "position")
        for procedure in procedures:
            services.procedure_decide(
                procedure=procedure, request=request, kind=kind, by=by, reason=reason, note=note
            )
    return touch


@transaction.atomic
def call_reassign(*, reminder: Reminder, to: User, request: HttpRequest) -> None:
    """Put a pending call in someone else's queue."""
    reminder = _lock_call(reminder)
    if reminder.assigned_to_id == to.pk:
        return
    previous = reminder.assigned_to_id
    Reminder.objects.filter(pk=reminder.pk).update(assigned_to=to)
    reminder.assigned_to = to
    audit_record(
        action="plan.call_reassigned",
        request=request,
        obj=reminder.plan,
        patient_id=reminder.plan.patient_id,
        detail={"call": str(reminder.pk), "from": str(previous or ""), "to": str(to.pk)},
    )


class FollowUpEnded(Exception):
    """The follow-up is no longer active."""


@transaction.atomic
def follow_up_reassign(*, follow_up: FollowUp, to: User, request: HttpRequest) -> int:
    """Give a follow-up to someone else: they own it, and its pending calls move to their
    queue. Returns how many calls moved."""
    TreatmentPlan.objects.select_for_update().get(
        pk=follow_up.plan_id, practice=follow_up.practice_id
    )
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.status != FollowUpStatus.ACTIVE:
        raise FollowUpEnded(
            f"This follow-up has ended ({follow_up.get_status_display().lower()}): "
            "nothing was changed."
        )
    previous = follow_up.owner_id
    FollowUp.objects.filter(pk=follow_up.pk).update(owner=to)
    follow_up.owner = to
    moved = Reminder.objects.filter(
        follow_up=follow_up, channel=Channel.CALL, status=ReminderStatus.PENDING
    ).update(assigned_to=to)
    audit_record(
        action="plan.follow_up_reassigned",
        request=request,
        obj=follow_up.plan,
        patient_id=follow_up.plan.patient_id,
        detail={"from": str(previous), "to": str(to.pk), "calls": moved},
    )
    return moved
