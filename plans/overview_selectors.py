"""Reads for the coordinator's lists: the home queues, the plans list, frozen presentations and a
patient's timeline.

Every list value is computed by the database (correlated subqueries with Sum), so a list costs
the same few queries whatever the number of plans. Money follows DOMAIN.md ("The metrics"): the
fee on the presented version, of the chosen option (the one with accepted work) or else the
recommended one; plans never presented are valued at their live fees.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, IsNull
from django.shortcuts import get_object_or_404
from django.utils import timezone

from coordinator.models import Practice, User
from patients.models import Patient
from plans.followup_models import Channel, Reminder, ReminderStatus, Touch
from plans.models import (
    CompletedProcedure,
    Decision,
    PlannedProcedure,
    PlanStatus,
    Presentation,
    PresentedOption,
    PresentedProcedure,
    ProcedureStatus,
    TreatmentOption,
    TreatmentPlan,
)
from plans.presentation_diff import ShownCoverage, ShownOption, ShownProcedure
from plans.states import ACCEPTED_STATES, UNDECIDED_STATES

MONEY = DecimalField(max_digits=12, decimal_places=2)
ZERO = Decimal("0.00")


class Queue(TextChoices):
    """The coordinator's three lists on the home page."""

    TO_PRESENT = "to_present", "To present"
    UNDECIDED = "undecided", "Undecided"
    ACCEPTED_UNSCHEDULED = "accepted_unscheduled", "Accepted, not scheduled"


class Sort(TextChoices):
    VALUE_DESC = "-value", "Highest value first"
    VALUE_ASC = "value", "Lowest value first"
    AGE_DESC = "-age", "Oldest first"
    AGE_ASC = "age", "Newest first"


# --- Value expressions ---------------------------------------------------------------------------


def _fee_sum(rows: QuerySet, group_by: str) -> Coalesce:
    """Sum of `fee` over correlated rows, 0.00 when there are none."""
    total = rows.order_by().values(group_by).annotate(total=Sum("fee")).values("total")[:1]
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _latest_presentations() -> QuerySet[Presentation]:
    return Presentation.objects.filter(plan=OuterRef("pk")).order_by("-at", "-recorded_at")


def _chosen_option() -> Subquery:
    """The option the patient went with: the first (in order) holding accepted work."""
    chosen = (
        TreatmentOption.objects.filter(plan=OuterRef("pk"), procedures__status__in=ACCEPTED_STATES)
        .order_by("position", "name")
        .values("pk")[:1]
    )
    return Subquery(chosen)


def _with_plan_refs(plans: QuerySet[TreatmentPlan]) -> QuerySet[TreatmentPlan]:
    """Annotate what the value expressions refer to: the latest presentation and chosen option."""
    latest = _latest_presentations()
    return plans.annotate(
        latest_presentation=Subquery(latest.values("pk")[:1]),
        last_presented_at=Subquery(latest.values("at")[:1]),
        last_presented_by=Subquery(latest.values("presented_by")[:1]),
        chosen_option=_chosen_option(),
    )


def _of_chosen_option(option: str, recommended: str, *, by_status: bool = False) -> Q:
    """Rows of the chosen option, or of the recommended one when nothing was chosen yet.

    `by_status` reads "nothing chosen" from an undecided plan's status (presented: nothing
    accepted; partially accepted: something was), sparing the lookup for most rows.
    """
    if by_status:
        nothing_chosen = Exact(OuterRef("status"), PlanStatus.PRESENTED)
    else:
        nothing_chosen = IsNull(OuterRef("chosen_option"), True)
    return Q(nothing_chosen, **{recommended: True}) | Q(
        ~Q(nothing_chosen), **{option: OuterRef("chosen_option")}
    )


def _presented_value(*, undecided_only: bool) -> Coalesce:
    """Fees of the chosen (else the recommended) option as shown at the latest presentation.

    With `undecided_only`, for plans presented or partially accepted: the work still open.
    """
    shown = PresentedProcedure.objects.filter(
        _of_chosen_option(
            "presented_option__option", "presented_option__recommended", by_status=undecided_only
        ),
        presented_option__presentation=OuterRef("latest_presentation"),
    )
    if undecided_only:
        shown = shown.filter(procedure__status__in=UNDECIDED_STATES)
    return _fee_sum(shown, "presented_option__presentation")


def _live_value() -> Coalesce:
    """Live fees of the chosen (else the recommended) option: for plans never presented."""
    live = PlannedProcedure.objects.filter(
        _of_chosen_option("option", "option__recommended"), option__plan=OuterRef("pk")
    )
    return _fee_sum(live, "option__plan")


def _accepted_unscheduled_value() -> Coalesce:
    """Accepted, not yet scheduled work, each at the fee last shown (live fee if never shown).

    Every presentation freezes every procedure the plan then had, so what was last shown of a
    procedure is in the plan's latest presentation, or it was never shown.
    """
    last_shown_fee = (
        PresentedProcedure.objects.filter(
            procedure=OuterRef("pk"),
            presented_option__presentation=OuterRef(OuterRef("latest_presentation")),
        )
        .order_by()
        .values("fee")[:1]
    )
    accepted = (
        PlannedProcedure.objects.filter(
            option__plan=OuterRef("pk"), status=ProcedureStatus.ACCEPTED
        )
        .annotate(shown_fee=Coalesce(Subquery(last_shown_fee, output_field=MONEY), F("fee")))
        .order_by()
        .values("option__plan")
        .annotate(total=Sum("shown_fee"))
        .values("total")[:1]
    )
    return Coalesce(Subquery(accepted, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _accepted_since() -> Subquery:
    """When the longest-waiting accepted work was accepted."""
    since = (
        PlannedProcedure.objects.filter(
            option__plan=OuterRef("pk"), status=ProcedureStatus.ACCEPTED
        )
        .order_by()
        .values("option__plan")
        .annotate(since=Min("status_changed_at"))
        .values("since")[:1]
    )
    return Subquery(since)


# --- The home queues -----------------------------------------------------------------------------


def home_queue(
    *, practice: Practice, queue: Queue, sort: Sort = Sort.VALUE_DESC, mine: User | None = None
) -> QuerySet[TreatmentPlan]:
    """One of the home lists, each plan annotated with `value` and `since` (what its age counts
    from), sorted. With `mine`, only the plans whose latest presentation `mine` made; plans
    still to present belong to nobody yet and are listed whoever asks.
    """
    plans = TreatmentPlan.objects.filter(practice=practice).select_related("patient", "dentist")
    plans = queue_members(_with_plan_refs(plans), queue)
    if queue == Queue.TO_PRESENT:
        plans = plans.annotate(
            value=_fee_sum(
                PlannedProcedure.objects.filter(
                    option__plan=OuterRef("pk"), option__recommended=True
                ),
                "option__plan",
            ),
            since=F("diagnosed_at"),
        )
    elif queue == Queue.UNDECIDED:
        plans = plans.annotate(
            value=_presented_value(undecided_only=True), since=F("last_presented_at")
        )
    else:
        plans = plans.annotate(value=_accepted_unscheduled_value(), since=_accepted_since())
    if mine is not None and queue != Queue.TO_PRESENT:
        plans = plans.filter(last_presented_by=mine.pk)
    return plans.order_by(*_ordering(sort))


def queue_members(plans: QuerySet[TreatmentPlan], queue: Queue) -> QuerySet[TreatmentPlan]:
    """The plans that belong on one of the home lists."""
    if queue == Queue.TO_PRESENT:
        return plans.filter(status=PlanStatus.DIAGNOSED)
    if queue == Queue.UNDECIDED:
        return plans.filter(status__in=[PlanStatus.PRESENTED, PlanStatus.PARTIALLY_ACCEPTED])
    accepted = PlannedProcedure.objects.filter(
        option__plan=OuterRef("pk"), status=ProcedureStatus.ACCEPTED
    )
    # Plans in these statuses hold no accepted work (or were closed): skip them by the index.
    none_accepted = [PlanStatus.DIAGNOSED, PlanStatus.PRESENTED, PlanStatus.DECLINED]
    return plans.exclude(status__in=[*none_accepted, PlanStatus.CLOSED]).filter(
        Exists(accepted), closed_at__isnull=True
    )


def _ordering(sort: Sort) -> list:
    # An older `since` is a greater age.
    by = {
        Sort.VALUE_DESC: F("value").desc(),
        Sort.VALUE_ASC: F("value").asc(),
        Sort.AGE_DESC: F("since").asc(nulls_last=True),
        Sort.AGE_ASC: F("since").desc(nulls_last=True),
    }[sort]
    return [by, "pk"]


def queue_summary(plans: QuerySet[TreatmentPlan]) -> dict:
    """How many plans a queue holds and their total value, in one query."""
    summary = plans.order_by().aggregate(count=Count("pk"), total=Sum("value"))
    return {"count": summary["count"], "total": summary["total"] or ZERO}


# --- The plans list ------------------------------------------------------------------------------


def plans_value(*, plans: QuerySet[TreatmentPlan]) -> QuerySet[TreatmentPlan]:
    """`plans` annotated with their value, as on the plans list."""
    return _with_plan_refs(plans).annotate(
        value=Case(
            When(latest_presentation__isnull=True, then=_live_value()),
            default=_presented_value(undecided_only=False),
            output_field=MONEY,
        )
    )


def plan_list(
    *,
    practice: Practice,
    statuses: list[str] | tuple[str, ...] = (),
    dentist_id=None,
    query: str = "",
    queue: Queue | None = None,
) -> QuerySet[TreatmentPlan]:
    """Every plan of the practice, newest first, each annotated with `value`."""
    plans = TreatmentPlan.objects.filter(practice=practice).select_related("patient", "dentist")
    if queue is not None:
        plans = queue_members(plans, queue)
    if statuses:
        plans = plans.filter(status__in=statuses)
    if dentist_id:
        plans = plans.filter(dentist_id=dentist_id)
    for term in query.replace("\x00", "").replace(",", " ").split():
        plans = plans.filter(
            Q(patient__last_name__istartswith=term)
            | Q(patient__first_name__istartswith=term)
            | Q(patient__preferred_name__istartswith=term)
        )
    return plans_value(plans=plans).order_by("-created_at", "pk")


def plan_dentists(*, practice: Practice) -> QuerySet[User]:
    """Everyone who diagnosed a plan in the practice: the choices of the dentist filter."""
    dentist_ids = TreatmentPlan.objects.filter(practice=practice).values("dentist_id")
    return User.objects.filter(pk__in=dentist_ids).order_by("name")


# --- Frozen presentations ------------------------------------------------------------------------


def presentation_get(*, practice: Practice, plan_id, presentation_id) -> Presentation:
    """The practice's presentation of that plan, with the plan, patient and presenter; else 404."""
    return get_object_or_404(
        Presentation.objects.select_related("plan__patient", "plan__dentist", "presented_by"),
        practice=practice,
        plan_id=plan_id,
        pk=presentation_id,
    )


def presentation_previous(*, presentation: Presentation) -> Presentation | None:
    """The presentation of the same plan just before this one."""
    return (
        Presentation.objects.filter(practice=presentation.practice_id, plan=presentation.plan_id)
        .filter(
            Q(at__lt=presentation.at)
            | Q(at=presentation.at, recorded_at__lt=presentation.recorded_at)
        )
        .order_by("-at", "-recorded_at")
        .first()
    )


def presentation_siblings(*, presentation: Presentation) -> QuerySet[Presentation]:
    """Every presentation of the plan, oldest first, with who made it."""
    return (
        Presentation.objects.filter(practice=presentation.practice_id, plan=presentation.plan_id)
        .select_related("presented_by")
        .order_by("at", "recorded_at")
    )


def presentations_shown(*, presentations: list[Presentation]) -> dict:
    """Each presentation's options and procedures as shown, keyed by presentation id (2 queries)."""
    options = (
        PresentedOption.objects.filter(presentation__in=[p.pk for p in presentations])
        .defer("estimate_scenario")  # the engine's whole input: kept for replaying, not shown
        .order_by("presentation", "position")
        .prefetch_related(
            Prefetch(
                "procedures",
                queryset=PresentedProcedure.objects.order_by("phase_number", "position"),
            )
        )
    )
    shown: dict = {p.pk: [] for p in presentations}
    for option in options:
        procedures = tuple(
            ShownProcedure(
                key=str(row.procedure_id) if row.procedure_id else f"row-{row.pk}",
                code=row.code,
                description=row.description,
                tooth=row.tooth,
                surfaces=row.surfaces,
                area=row.area,
                phase_number=row.phase_number,
                phase_name=row.phase_name,
                fee=row.fee,
                insurance=row.insurance,
                writeoff=row.writeoff,
                patient_portion=row.patient_portion,
                notes=tuple(row.estimate_notes),
                next_benefit_year=row.next_benefit_year,
            )
            for row in option.procedures.all()
        )
        shown[option.presentation_id].append(
            ShownOption(
                key=str(option.option_id) if option.option_id else f"row-{option.pk}",
                name=option.name,
                recommended=option.recommended,
                total_fee=option.total_fee,
                procedures=procedures,
                total_insurance=option.total_insurance,
                total_writeoff=option.total_writeoff,
                total_patient=option.total_patient,
                coverages=tuple(map(ShownCoverage.from_summary, option.benefits_summary)),
            )
        )
    return {pk: tuple(options) for pk, options in shown.items()}


# --- A patient's timeline ------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    """One thing that happened to one of the patient's plans."""

    at: datetime.datetime
    # created, diagnosed, presented, accepted, declined, deferred, completed, closed, touch,
    # reminder-sent, reminder-failed, reminder-skipped
    kind: str
    plan: TreatmentPlan | None
    title: str
    by: User | None = None
    detail: str = ""
    reason: str = ""
    note: str = ""
    # Procedures the entry is about ("D2740 #14"): one decision of a whole option lists them all.
    procedures: list[str] = field(default_factory=list)
    presentation: Presentation | None = None
    date_only: bool = False


def _procedure_label(code: str, tooth: str, surfaces: str, area: str) -> str:
    where = f"#{tooth}" if tooth else area
    return " ".join(part for part in (code, where, surfaces) if part)


def _completion_moment(completion: CompletedProcedure) -> datetime.datetime:
    """Completed work has a date only: recorded that day it sorts by its recording time."""
    recorded = completion.recorded_at
    if timezone.localdate(recorded) == completion.completed_on:
        return recorded
    end_of_day = datetime.datetime.combine(completion.completed_on, datetime.time(23, 59))
    return timezone.make_aware(end_of_day)


def patient_plans(*, practice: Practice, patient: Patient) -> QuerySet[TreatmentPlan]:
    """The patient's plans, newest first, with their dentist and value."""
    plans = TreatmentPlan.objects.filter(practice=practice, patient=patient)
    return plans_value(plans=plans.select_related("dentist")).order_by("-created_at", "pk")


# Reminders the timeline shows; a call task done shows as its touch, a cancelled one not at all.
_SHOWN_REMINDERS = (ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.SKIPPED)
_REMINDER_TITLES = {
    ReminderStatus.SENT: "reminder sent",
    ReminderStatus.FAILED: "reminder failed",
    ReminderStatus.SKIPPED: "reminder skipped",
}


def _follow_up_entries(practice: Practice, patient: Patient, by_id: dict) -> list[TimelineEntry]:
    """Every touch, automatic or manual, and every reminder sent, failed or skipped that has no
    touch of its own (two queries)."""
    entries = []
    touches = Touch.objects.filter(practice=practice, plan__patient=patient).select_related("by")
    for touch in touches:
        entries.append(
            TimelineEntry(
                at=touch.at,
                kind="touch",
                plan=by_id.get(touch.plan_id),
                title=f"{touch.get_channel_display()}: {touch.get_outcome_display().lower()}",
                by=touch.by,
                detail="" if touch.by_id else "automatic",
                note=touch.note,
            )
        )
    reminders = Reminder.objects.filter(
        practice=practice,
        plan__patient=patient,
        status__in=_SHOWN_REMINDERS,
        touch__isnull=True,
    )
    for reminder in reminders:
        channel = "Text" if reminder.channel == Channel.SMS else reminder.get_channel_display()
        entries.append(
            TimelineEntry(
                at=reminder.sent_at or reminder.claimed_at or reminder.due_at,
                kind=f"reminder-{reminder.status}",
                plan=by_id.get(reminder.plan_id),
                title=f"{channel} {_REMINDER_TITLES[reminder.status]}",
                reason=reminder.last_error or reminder.note,
            )
        )
    return entries


def patient_timeline(
    *, practice: Practice, patient: Patient, plans: list[TreatmentPlan] | None = None
) -> list[TimelineEntry]:
    """Plans, presentations, decisions, completed work and follow-up touches and reminders of one
    patient, newest first.

    Six queries whatever the history (five when the caller already has the plans); a patient
    has a modest history, so merging and sorting happen here.
    """
    if plans is None:
        plans = list(patient_plans(practice=practice, patient=patient))
    by_id = {plan.pk: plan for plan in plans}
    entries: list[TimelineEntry] = []
    for plan in plans:
        entries.append(
            TimelineEntry(
                at=plan.created_at,
                kind="created",
                plan=plan,
                title="Plan created",
                by=plan.dentist,
                detail=f"Dentist: {plan.dentist.name}",
            )
        )
        if plan.diagnosed_at:
            entries.append(
                TimelineEntry(at=plan.diagnosed_at, kind="diagnosed", plan=plan, title="Diagnosed")
            )
        if plan.closed_at:
            entries.append(
                TimelineEntry(
                    at=plan.closed_at,
                    kind="closed",
                    plan=plan,
                    title="Closed",
                    reason=plan.get_close_reason_display(),
                )
            )

    presentations = Presentation.objects.filter(
        practice=practice, plan__patient=patient
    ).select_related("presented_by")
    for presentation in presentations:
        entries.append(
            TimelineEntry(
                at=presentation.at,
                kind="presented",
                plan=by_id.get(presentation.plan_id),
                title=f"Presented ({presentation.get_mode_display().lower()})",
                by=presentation.presented_by,
                note=presentation.note,
                presentation=presentation,
            )
        )

    decisions = (
        Decision.objects.filter(practice=practice, procedure__option__plan__patient=patient)
        .select_related("recorded_by")
        .annotate(
            plan_id=F("procedure__option__plan_id"),
            code=F("procedure__procedure_code__code"),
            tooth=F("procedure__tooth"),
            surfaces=F("procedure__surfaces"),
            area=F("procedure__area"),
            option_name=F("procedure__option__name"),
        )
        # Within one moment, in the plan's own order.
        .order_by(
            "at", "procedure__option__position", "procedure__phase__number", "procedure__position"
        )
    )
    # Accepting a whole option records one decision per procedure at one moment: one entry.
    grouped: dict[tuple, TimelineEntry] = {}
    for decision in decisions:
        key = (decision.plan_id, decision.at, decision.kind, decision.reason, decision.note)
        entry = grouped.get(key)
        if entry is None:
            entry = grouped[key] = TimelineEntry(
                at=decision.at,
                kind=decision.kind,
                plan=by_id.get(decision.plan_id),
                title=decision.get_kind_display(),
                by=decision.recorded_by,
                reason=decision.get_reason_display() if decision.reason else "",
                note=decision.note,
            )
        entry.procedures.append(
            _procedure_label(decision.code, decision.tooth, decision.surfaces, decision.area)
        )
    entries.extend(grouped.values())

    completions = CompletedProcedure.objects.filter(
        practice=practice, patient=patient
    ).select_related("procedure_code", "dentist", "planned__option")
    for completion in completions:
        plan_id = completion.planned.option.plan_id if completion.planned else None
        entries.append(
            TimelineEntry(
                at=_completion_moment(completion),
                kind="completed",
                plan=by_id.get(plan_id),
                title="Completed",
                by=completion.dentist,
                procedures=[
                    _procedure_label(completion.procedure_code.code, completion.tooth, "", "")
                ],
                date_only=True,
            )
        )

    entries.extend(_follow_up_entries(practice, patient, by_id))

    # Newest first; on the same moment the later step of the story comes first.
    order = ["created", "diagnosed", "presented", "deferred", "declined", "accepted", "completed"]
    entries.sort(
        key=lambda e: (e.at, order.index(e.kind) if e.kind in order else len(order)),
        reverse=True,
    )
    return entries
