"""Writes to follow-ups: start and stop a plan's follow-up, record touches, opt patients out, and
close plans nobody answered.

The plan services call the hooks at the bottom (`follow_up_after_presenting`,
`follow_up_after_decision`, `follow_up_stop`) inside their own transaction, after the plan's row
is locked: a reminder claimed a moment later sees the stop. Lock order is plan, follow-up,
reminders.

Choices (docs/follow-ups.md has the long version):
- A plan needs following up while it is presented, open and not fully decided: nothing accepted
  and something still proposed or deferred in any option, or something accepted and the chosen
  option still has proposed or deferred work.
- Re-presenting the same plan version keeps the active follow-up; presenting a changed version
  restarts it from the new presentation.
- A decline or defer whose reason a cadence lists restarts the follow-up on that cadence (the
  anchor is the decision, or the next benefit renewal for `waiting_for_benefits`).
- Automatic steps already more than a day overdue when a follow-up starts are skipped, so a late
  start never sends a burst of old reminders. Call steps stay: the queue shows them overdue.
- An active follow-up whose last step is more than `ANSWER_WINDOW` past, with nothing left to
  send or call, closes the plan as unresponsive (only a plan with no accepted work: a partly
  accepted plan's follow-up just finishes).
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.audit import audit_record
from coordinator.models import Practice, User
from insurance import plan_estimates
from insurance.adapter import next_benefit_year_start
from patients.models import Patient
from plans.followup_models import (
    Cadence,
    CadenceStep,
    Channel,
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    StepAnchor,
    StopReason,
    Touch,
    TouchOutcome,
)
from plans.models import (
    CloseReason,
    DecisionKind,
    DecisionReason,
    PlanStatus,
    Presentation,
    TreatmentOption,
    TreatmentPlan,
)
from plans.states import ACCEPTED_STATES, UNDECIDED_STATES

logger = logging.getLogger(__name__)

DEFAULT_CADENCE_NAME = "2-2-2"
BENEFITS_CADENCE_NAME = "Benefits renewal"
# Local hour of the day a cadence step falls due, and a call-back.
STEP_HOUR = 10
CALL_BACK_HOUR = 9
# An automatic step this overdue when its follow-up starts is skipped, not sent late.
STALE_AFTER = datetime.timedelta(days=1)
# How long after the last step a patient has to answer before the plan closes as unresponsive.
ANSWER_WINDOW = datetime.timedelta(days=7)
SWEEP_BATCH = 200

# Reminders not yet handed to a provider: stopping a follow-up cancels these.
OPEN_STATUSES = (ReminderStatus.PENDING, ReminderStatus.QUEUED)
# Reminders still to be done by a worker or a coordinator.
UNFINISHED_STATUSES = (ReminderStatus.PENDING, ReminderStatus.QUEUED, ReminderStatus.SENDING)

# What the queue suggests for a decline or defer reason (FollowUp.suggestion).
SUGGESTIONS = {
    DecisionReason.CO_DECIDER: "Send the second link",
    DecisionReason.COST: "Rebuild around a monthly budget",
}

# (number, days, after, channel, subject, body). No treatment or amounts: texts and emails go
# out unencrypted, the plan link carries the details.
DEFAULT_STEPS = (
    (
        1,
        2,
        StepAnchor.PRESENTATION,
        Channel.CALL,
        "",
        "Ask how {first_name} feels about the plan and whether any question is left.",
    ),
    (
        2,
        14,
        StepAnchor.PRESENTATION,
        Channel.EMAIL,
        "Your plan at {practice}",
        "Hello {first_name},\n\n"
        "Thank you again for your visit. Your plan is here whenever you want to look at it "
        "again, compare the options or ask us a question:\n\n{plan_link}\n\n"
        "Reply to this email or give us a call: we are glad to help.\n\n{practice}",
    ),
    (
        3,
        60,
        StepAnchor.PRESENTATION,
        Channel.SMS,
        "",
        "Hi {first_name}, this is {practice}. Your plan is ready when you are: {plan_link} "
        "Reply STOP to opt out.",
    ),
)
BENEFITS_STEPS = (
    (
        1,
        1,
        StepAnchor.PRESENTATION,
        Channel.CALL,
        "",
        "Benefits have renewed: refresh the estimate, then call {first_name}.",
    ),
)

_STOP_STATUSES = {PlanStatus.DECLINED: StopReason.DECLINED, PlanStatus.CLOSED: StopReason.CLOSED}


# --- Cadences ------------------------------------------------------------------------------


def _cadence_with_steps(practice: Practice, name: str, steps, **fields) -> Cadence | None:
    """Create a built-in cadence; None when another request created one of that name first."""
    try:
        with transaction.atomic():
            cadence = Cadence.objects.create(practice=practice, name=name, **fields)
            CadenceStep.objects.bulk_create(
                CadenceStep(
                    practice=practice,
                    cadence=cadence,
                    number=number,
                    days=days,
                    after=after,
                    channel=channel,
                    subject=subject,
                    body=body,
                )
                for number, days, after, channel, subject, body in steps
            )
    except IntegrityError:
        return None
    return cadence


def default_cadence(practice: Practice) -> Cadence:
    """The practice's default cadence, "2-2-2" (2 days call, 2 weeks email, 2 months text),
    created on first use. Safe when two requests create it at once (unique constraints)."""
    cadence = Cadence.objects.filter(practice=practice, is_default=True).first()
    if cadence is not None:
        return cadence
    created = _cadence_with_steps(practice, DEFAULT_CADENCE_NAME, DEFAULT_STEPS, is_default=True)
    if created is not None:
        return created
    cadence = Cadence.objects.filter(practice=practice, is_default=True).first()
    if cadence is not None:
        return cadence
    # A cadence named "2-2-2" exists but none is the default: it becomes the default.
    cadence = Cadence.objects.get(practice=practice, name=DEFAULT_CADENCE_NAME)
    Cadence.objects.filter(pk=cadence.pk).update(is_default=True)
    cadence.is_default = True
    return cadence


def reason_cadence(practice: Practice, reason: str) -> Cadence | None:
    """The active cadence a decline or defer reason starts (its `reasons` list it).

    "Waiting for benefits" has a built-in one, created on first use; a practice that removes
    the reason from it (or deactivates it) has chosen not to follow up on that reason.
    """
    # Few cadences per practice: filtered here, so it also runs on SQLite (no JSON contains).
    for cadence in Cadence.objects.filter(practice=practice, is_active=True).order_by("name"):
        if reason in (cadence.reasons or []):
            return cadence
    if reason != DecisionReason.WAITING_FOR_BENEFITS:
        return None
    created = _cadence_with_steps(practice, BENEFITS_CADENCE_NAME, BENEFITS_STEPS, reasons=[reason])
    if created is not None:
        return created
    cadence = Cadence.objects.filter(practice=practice, name=BENEFITS_CADENCE_NAME).first()
    if cadence is not None and cadence.is_active and reason in (cadence.reasons or []):
        return cadence
    return None


# --- Helpers -------------------------------------------------------------------------------


def _local_moment(practice: Practice, day: datetime.date, hour: int) -> datetime.datetime:
    """`hour`:00 on `day` in the practice's time zone, in UTC."""
    local = datetime.datetime.combine(day, datetime.time(hour), practice.tzinfo)
    return local.astimezone(datetime.UTC)


def _lock_plan(plan: TreatmentPlan) -> TreatmentPlan:
    return TreatmentPlan.objects.select_for_update().get(pk=plan.pk, practice=plan.practice_id)


def _active(plan: TreatmentPlan, *, lock: bool = False) -> FollowUp | None:
    follow_ups = FollowUp.objects.filter(
        plan=plan, practice=plan.practice_id, status=FollowUpStatus.ACTIVE
    )
    if lock:
        follow_ups = follow_ups.select_for_update()
    return follow_ups.first()


def _audit(request: HttpRequest | None, action: str, plan: TreatmentPlan, **detail) -> None:
    if request is not None:
        audit_record(
            action=action,
            request=request,
            practice=plan.practice,
            obj=plan,
            patient_id=plan.patient_id,
            detail=detail,
        )


def step_due_times(
    practice: Practice, steps: list[CadenceStep], anchor_at: datetime.datetime
) -> list[datetime.datetime]:
    """When each step falls due: its days after the anchor (or the previous step), at
    STEP_HOUR in the practice's time zone, in UTC."""
    zone = practice.tzinfo
    anchor_day = anchor_at.astimezone(zone).date()
    previous = anchor_day
    due = []
    for step in steps:
        base = previous if step.after == StepAnchor.PREVIOUS else anchor_day
        day = base + datetime.timedelta(days=step.days)
        due.append(_local_moment(practice, day, STEP_HOUR))
        previous = day
    return due


def needs_follow_up(plan: TreatmentPlan) -> bool:
    """Presented, open and not fully decided (module docstring)."""
    if plan.closed_at is not None or plan.first_presented_at is None:
        return False
    options = [
        [procedure.status for procedure in option.procedures.all()]
        for option in TreatmentOption.objects.filter(plan=plan).prefetch_related("procedures")
    ]
    chosen = next((s for s in options if any(x in ACCEPTED_STATES for x in s)), None)
    if chosen is not None:
        return any(status in UNDECIDED_STATES for status in chosen)
    return any(status in UNDECIDED_STATES for statuses in options for status in statuses)


def follow_up_stop_if_decided(*, plan: TreatmentPlan, at: datetime.datetime | None = None) -> bool:
    """Stop the plan's follow-up when the plan no longer needs one (accepted, declined for
    good, closed); True when it did. For writers that change statuses in bulk (the import)."""
    if needs_follow_up(plan) or _active(plan) is None:
        return False
    follow_up_stop(plan=plan, reason=_stop_reason(plan), at=at)
    return True


def _stop_reason(plan: TreatmentPlan) -> str:
    return _STOP_STATUSES.get(plan.status, StopReason.ACCEPTED)


def _owner(plan: TreatmentPlan, active: FollowUp | None, by: User | None) -> User:
    """Who owns a follow-up a decision starts: the current owner, the last presenter, the person
    recording it, or the plan's dentist."""
    if active is not None:
        return active.owner
    presentation = (
        Presentation.objects.filter(plan=plan, practice=plan.practice_id)
        .select_related("presented_by")
        .order_by("-at", "-recorded_at")
        .first()
    )
    if presentation is not None:
        return presentation.presented_by
    return by or plan.dentist


def _end(follow_up: FollowUp, status: str, reason: str, at: datetime.datetime) -> None:
    follow_up.status = status
    follow_up.stop_reason = reason
    follow_up.ended_at = at
    follow_up.save(update_fields=["status", "stop_reason", "ended_at"])


# --- Starting and stopping ------------------------------------------------------------------


@transaction.atomic
def follow_up_start(
    *,
    plan: TreatmentPlan,
    owner: User,
    anchor_at: datetime.datetime,
    cadence: Cadence | None = None,
    request: HttpRequest | None = None,
) -> FollowUp | None:
    """Start the plan's follow-up on `cadence` (the practice's default when None), replacing
    an active one, with one reminder per step counted from `anchor_at`.

    None when there is nothing to follow: the plan is closed, or the cadence is inactive or has
    no steps. Call steps go to the owner's queue; email and text steps are sent automatically.
    """
    plan = _lock_plan(plan)
    if plan.closed_at is not None:
        return None
    cadence = cadence or default_cadence(plan.practice)
    if cadence.practice_id != plan.practice_id:
        raise ValidationError("That cadence belongs to another practice.")
    steps = list(CadenceStep.objects.filter(cadence=cadence).order_by("number"))
    if not cadence.is_active or not steps:
        return None
    now = timezone.now()
    previous = _active(plan, lock=True)
    if previous is not None:
        _stop(previous, StopReason.RESTARTED, now)
    follow_up = FollowUp.objects.create(
        practice=plan.practice,
        plan=plan,
        cadence=cadence,
        owner=owner,
        anchor_at=anchor_at,
        started_at=now,
    )
    reminders = []
    for step, due_at in zip(steps, step_due_times(plan.practice, steps, anchor_at), strict=True):
        is_call = step.channel == Channel.CALL
        stale = not is_call and due_at < now - STALE_AFTER
        reminders.append(
            Reminder(
                practice=plan.practice,
                plan=plan,
                follow_up=follow_up,
                kind=ReminderKind.STEP,
                step_number=step.number,
                channel=step.channel,
                due_at=due_at,
                assigned_to=owner if is_call else None,
                status=ReminderStatus.SKIPPED if stale else ReminderStatus.PENDING,
                note="Already past when the follow-up started" if stale else "",
                created_at=now,
            )
        )
    Reminder.objects.bulk_create(reminders)
    _audit(request, "plan.follow_up_started", plan, cadence=cadence.name)
    return follow_up


def _stop(follow_up: FollowUp, reason: str, at: datetime.datetime) -> int:
    """End a locked active follow-up; cancel what was not handed to a provider yet."""
    _end(follow_up, FollowUpStatus.STOPPED, reason, at)
    return Reminder.objects.filter(follow_up=follow_up, status__in=OPEN_STATUSES).update(
        status=ReminderStatus.CANCELLED
    )


@transaction.atomic
def follow_up_stop(
    *,
    plan: TreatmentPlan,
    reason: str,
    at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Stop the plan's active follow-up and cancel its pending and queued reminders (calls
    included); reminders already sending or sent stay as they are.

    Accepting, declining for good and closing also cancel the plan's open call-backs, even
    those a stopped follow-up left behind (a reply that asked to be called back later).
    """
    plan = _lock_plan(plan)
    at = at or timezone.now()
    active = _active(plan, lock=True)
    if active is not None:
        _stop(active, reason, at)
        _audit(request, "plan.follow_up_stopped", plan, reason=reason)
    if reason in (StopReason.ACCEPTED, StopReason.DECLINED, StopReason.CLOSED):
        Reminder.objects.filter(
            plan=plan,
            practice=plan.practice_id,
            kind=ReminderKind.CALL_BACK,
            status__in=OPEN_STATUSES,
        ).update(status=ReminderStatus.CANCELLED)


# --- Touches ---------------------------------------------------------------------------------


@transaction.atomic
def touch_record(
    *,
    plan: TreatmentPlan,
    channel: str,
    outcome: str,
    by: User | None,
    at: datetime.datetime | None = None,
    note: str = "",
    reminder: Reminder | None = None,
    call_back_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Touch:
    """Record a touch, manual (`by` a person) or automatic (`by` None, `reminder` the one
    sent).

    A call task it answers is done. `call_back_on` puts a call on that day (CALL_BACK_HOUR, the
    practice's time zone) in the follow-up owner's queue (else `by`'s). A reply stops the
    follow-up; reaching the patient by phone does not (they may still be thinking).
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": f"{channel!r} is not a channel."})
    if outcome not in TouchOutcome.values:
        raise ValidationError({"outcome": f"{outcome!r} is not an outcome."})
    if reminder is not None and reminder.plan_id != plan.pk:
        raise ValidationError("That reminder is for another plan.")
    stops_or_books = outcome == TouchOutcome.REPLIED or call_back_on is not None
    if stops_or_books:
        # Only then: a worker recording a sent reminder must not wait for the plan's lock.
        plan = _lock_plan(plan)
    at = at or timezone.now()
    touch = Touch.objects.create(
        practice=plan.practice,
        plan=plan,
        channel=channel,
        at=at,
        by=by,
        outcome=outcome,
        note=note.strip()[:500],
        reminder=reminder,
    )
    if reminder is not None and reminder.channel == Channel.CALL:
        done = Reminder.objects.filter(pk=reminder.pk, status__in=OPEN_STATUSES).update(
            status=ReminderStatus.DONE, sent_at=at
        )
        if done:
            reminder.status = ReminderStatus.DONE
            reminder.sent_at = at
    active = _active(plan, lock=True) if stops_or_books else None
    if outcome == TouchOutcome.REPLIED and active is not None:
        _stop(active, StopReason.REPLIED, at)
    if call_back_on is not None:
        owner = active.owner if active is not None else by
        Reminder.objects.create(
            practice=plan.practice,
            plan=plan,
            follow_up=active,
            kind=ReminderKind.CALL_BACK,
            channel=Channel.CALL,
            due_at=_local_moment(plan.practice, call_back_on, CALL_BACK_HOUR),
            assigned_to=owner,
            note=note.strip()[:500],
        )
    _audit(
        request,
        "plan.touch_recorded",
        plan,
        channel=channel,
        outcome=outcome,
        call_back=call_back_on.isoformat() if call_back_on else None,
    )
    return touch


# --- Patients opting out ---------------------------------------------------------------------


@transaction.atomic
def patient_opt_out(*, patient: Patient, source: str, request: HttpRequest | None = None) -> None:
    """The patient wants no more reminders: record when, and stop every follow-up of their plans.

    `source` says how they asked ("link", "sms_stop", "coordinator"...). Asking twice keeps the
    first time.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk, practice=patient.practice_id)
    now = timezone.now()
    first_time = patient.reminders_opted_out_at is None
    if first_time:
        patient.reminders_opted_out_at = now
        patient.save(update_fields=["reminders_opted_out_at", "updated_at"])
    plan_ids = FollowUp.objects.filter(
        practice=patient.practice_id, plan__patient=patient, status=FollowUpStatus.ACTIVE
    ).values_list("plan_id", flat=True)
    for plan in TreatmentPlan.objects.filter(pk__in=list(plan_ids)).order_by("pk"):
        follow_up_stop(plan=plan, reason=StopReason.OPTED_OUT, at=now)
    if first_time:
        audit_record(
            action="patient.reminders_opted_out",
            request=request,
            practice=patient.practice,
            system_actor="" if request else "system",
            obj=patient,
            patient_id=patient.pk,
            detail={"source": source},
        )


# --- No answer -------------------------------------------------------------------------------


def _finishable(now: datetime.datetime):
    """Active follow-ups whose last step is more than ANSWER_WINDOW past, with nothing left to
    send or call."""
    return (
        FollowUp.objects.filter(status=FollowUpStatus.ACTIVE)
        .annotate(last_due=Max("reminders__due_at", filter=Q(reminders__kind=ReminderKind.STEP)))
        .filter(last_due__lte=now - ANSWER_WINDOW)
        .exclude(reminders__status__in=UNFINISHED_STATUSES)
    )


@transaction.atomic
def follow_up_finish_unresponsive(
    *, follow_up: FollowUp, now: datetime.datetime | None = None
) -> bool:
    """Finish a follow-up whose last step passed without an answer and close its plan as
    unresponsive. False (and nothing written) when it is not due, or no longer active.

    A plan with accepted work is not closed (that would hide the work): its follow-up finishes.
    """
    from plans.services import plan_close  # plans.services calls into this module

    now = now or timezone.now()
    plan = _lock_plan(follow_up.plan)
    # The plan's lock keeps decisions and touches out; the check runs after taking it.
    if not _finishable(now).filter(pk=follow_up.pk).exists():
        return False
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    _end(follow_up, FollowUpStatus.FINISHED, "", now)
    accepted = TreatmentOption.objects.filter(
        plan=plan, procedures__status__in=ACCEPTED_STATES
    ).exists()
    if plan.closed_at is None and not accepted:
        plan_close(plan=plan, request=None, reason=CloseReason.UNRESPONSIVE)
    return True


def close_unresponsive_plans(now: datetime.datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """For the beat sweep: finish up to `limit` due follow-ups (every practice), one
    transaction each. Returns how many finished."""
    now = now or timezone.now()
    finished = 0
    with scopes_disabled():
        due = list(_finishable(now).select_related("plan__practice").order_by("last_due")[:limit])
        for follow_up in due:
            try:
                finished += follow_up_finish_unresponsive(follow_up=follow_up, now=now)
            except Exception:
                logger.exception("Could not finish follow-up %s", follow_up.pk)
    return finished


# --- Hooks the plan services call inside their transaction ------------------------------------


def follow_up_after_presenting(*, plan: TreatmentPlan, presentation: Presentation) -> None:
    """Presenting starts the follow-up, owned by the presenter. An active one continues when
    the same plan version is shown again; a changed version restarts it from this
    presentation."""
    if not needs_follow_up(plan):
        if plan.closed_at is None:
            follow_up_stop(plan=plan, reason=_stop_reason(plan), at=presentation.at)
        return
    active = _active(plan)
    if active is not None:
        earlier = (
            Presentation.objects.filter(plan=plan, practice=plan.practice_id)
            .exclude(pk=presentation.pk)
            .order_by("-at", "-recorded_at")
            .first()
        )
        if earlier is not None and earlier.plan_version == presentation.plan_version:
            return
    follow_up_start(plan=plan, owner=presentation.presented_by, anchor_at=presentation.at)


def follow_up_after_decision(
    *,
    plan: TreatmentPlan,
    by: User | None,
    at: datetime.datetime,
    kind: str = "",
    reason: str = "",
) -> None:
    """After a decision or completed work: stop when the plan is decided; a decline or defer
    reason may move the follow-up to its cadence and leave a suggestion for the queue."""
    if not needs_follow_up(plan):
        if plan.first_presented_at is not None or _active(plan) is not None:
            follow_up_stop(plan=plan, reason=_stop_reason(plan), at=at)
        return
    if kind not in (DecisionKind.DECLINED, DecisionKind.DEFERRED) or not reason:
        return
    active = _active(plan)
    cadence = reason_cadence(plan.practice, reason)
    if cadence is not None and (active is None or active.cadence_id != cadence.pk):
        anchor_at = at
        if reason == DecisionReason.WAITING_FOR_BENEFITS:
            anchor_at = _local_moment(plan.practice, next_renewal(plan, at), 0)
        active = (
            follow_up_start(
                plan=plan, owner=_owner(plan, active, by), anchor_at=anchor_at, cadence=cadence
            )
            or active
        )
    suggestion = SUGGESTIONS.get(reason)
    if suggestion and active is not None and active.suggestion != suggestion:
        FollowUp.objects.filter(pk=active.pk).update(suggestion=suggestion)
        active.suggestion = suggestion


def next_renewal(plan: TreatmentPlan, at: datetime.datetime) -> datetime.date:
    """The first day of the patient's next benefit year: the primary coverage's renewal month,
    or January 1 without insurance."""
    today = at.astimezone(plan.practice.tzinfo).date()
    coverages = plan_estimates.patient_coverages(patient=plan.patient, as_of=today)
    if not coverages:
        return datetime.date(today.year + 1, 1, 1)
    return next_benefit_year_start(coverages, today)
