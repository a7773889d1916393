"""Reads for the follow-up queue: the calls each coordinator makes today, and who can make them.

A call is a `Reminder` on the call channel, still pending. "Today" is every call due by the end
of the practice's day (overdue ones included); "Upcoming" the next seven days after it. Every
row's value, engagement, step count and last touch come from correlated subqueries, so a queue
costs the same few queries whatever the number of calls.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from coordinator.models import Practice, User
from coordinator.roles import Capability, Role, role_can
from plans.followup_models import (
    CadenceStep,
    Channel,
    FollowUp,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Touch,
    TouchOutcome,
)
from plans.overview_selectors import ZERO, Queue, home_queue

MONEY = DecimalField(max_digits=12, decimal_places=2)
UPCOMING_DAYS = 7
# Outcomes that show the patient is engaging with us.
ENGAGED = (TouchOutcome.REPLIED, TouchOutcome.REACHED)


class Tab(TextChoices):
    TODAY = "today", "Today and overdue"
    UPCOMING = "upcoming", "Upcoming"


class QueueSort(TextChoices):
    VALUE = "value", "Highest value first"
    ENGAGEMENT = "engagement", "Most recently engaged first"


@dataclass(frozen=True)
class Window:
    """The practice's day boundaries, as aware datetimes."""

    today: datetime.date
    tomorrow_start: datetime.datetime
    upcoming_end: datetime.datetime


def queue_window(practice: Practice, now: datetime.datetime | None = None) -> Window:
    """Where "today" ends and "upcoming" ends, in the practice's time zone."""
    today = timezone.localdate(now or timezone.now(), practice.tzinfo)

    def start(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=practice.tzinfo)

    return Window(
        today=today,
        tomorrow_start=start(today + datetime.timedelta(days=1)),
        upcoming_end=start(today + datetime.timedelta(days=1 + UPCOMING_DAYS)),
    )


def _pending_calls(practice: Practice) -> QuerySet[Reminder]:
    return Reminder.objects.filter(
        practice=practice, channel=Channel.CALL, status=ReminderStatus.PENDING
    )


def _in_tab(calls: QuerySet[Reminder], tab: Tab, window: Window) -> QuerySet[Reminder]:
    if tab == Tab.TODAY:
        return calls.filter(due_at__lt=window.tomorrow_start)
    return calls.filter(due_at__gte=window.tomorrow_start, due_at__lt=window.upcoming_end)


def _latest_touch(field: str) -> Subquery:
    touches = Touch.objects.filter(plan=OuterRef("plan_id")).order_by("-at", "-recorded_at")
    return Subquery(touches.values(field)[:1])


def queue_calls(
    *,
    practice: Practice,
    tab: Tab = Tab.TODAY,
    assignee: User | None = None,
    sort: QueueSort = QueueSort.VALUE,
    now: datetime.datetime | None = None,
) -> QuerySet[Reminder]:
    """Pending calls of one tab, for `assignee` (None: the whole team), annotated and sorted."""
    calls = _in_tab(_pending_calls(practice), tab, queue_window(practice, now))
    if assignee is not None:
        calls = calls.filter(assigned_to=assignee)
    by_value = [F("value").desc(), F("engaged_at").desc(nulls_last=True)]
    if sort == QueueSort.ENGAGEMENT:
        by_value.reverse()
    return _annotated(calls, practice).order_by(*by_value, "due_at", "pk")


def _annotated(calls: QuerySet[Reminder], practice: Practice) -> QuerySet[Reminder]:
    """Calls with what their row shows: `value` (the plan's undecided presented value, as on
    the home page's "Undecided" list), `engaged_at`, `step_total` and the plan's last touch.
    """
    undecided = (
        home_queue(practice=practice, queue=Queue.UNDECIDED)
        .filter(pk=OuterRef("plan_id"))
        .order_by()
        .values("value")[:1]
    )
    step_total = (
        CadenceStep.objects.filter(cadence=OuterRef("follow_up__cadence_id"))
        .order_by()
        .values("cadence")
        .annotate(total=Count("pk"))
        .values("total")[:1]
    )
    # There is no link tracking yet: the latest touch where the patient answered (a reply, or a
    # call that reached them) stands for "opened their link recently".
    engaged = (
        Touch.objects.filter(plan=OuterRef("plan_id"), outcome__in=ENGAGED)
        .order_by("-at")
        .values("at")[:1]
    )
    return calls.select_related("plan__patient", "follow_up", "assigned_to").annotate(
        value=Coalesce(Subquery(undecided, output_field=MONEY), Value(ZERO), output_field=MONEY),
        engaged_at=Subquery(engaged),
        step_total=Subquery(step_total),
        last_touch_at=_latest_touch("at"),
        last_touch_outcome=_latest_touch("outcome"),
        last_touch_channel=_latest_touch("channel"),
    )


def queue_counts(
    *, practice: Practice, assignee: User | None = None, now: datetime.datetime | None = None
) -> dict[str, int]:
    """How many calls each tab holds, in one query."""
    window = queue_window(practice, now)
    calls = _pending_calls(practice).filter(due_at__lt=window.upcoming_end)
    if assignee is not None:
        calls = calls.filter(assigned_to=assignee)
    return calls.aggregate(
        today=Count("pk", filter=Q(due_at__lt=window.tomorrow_start)),
        upcoming=Count("pk", filter=Q(due_at__gte=window.tomorrow_start)),
    )


def queue_badge_count(*, practice: Practice, user: User) -> int:
    """The navigation badge: the user's calls due today or overdue."""
    window = queue_window(practice)
    return (
        _pending_calls(practice).filter(assigned_to=user, due_at__lt=window.tomorrow_start).count()
    )


def step_label(call: Reminder) -> str:
    """ "Call 1 of 3" for a cadence step; what the call is otherwise."""
    if call.kind == ReminderKind.STEP and call.step_number:
        total = getattr(call, "step_total", None)
        label = f"{call.get_channel_display()} {call.step_number}"
        return f"{label} of {total}" if total else label
    return call.get_kind_display()


# --- Who works the queue -------------------------------------------------------------------------


WORKER_ROLES = tuple(role for role in Role if role_can(role, Capability.FOLLOW_UPS_WORK))


def queue_staff(*, practice: Practice) -> list[User]:
    """Active staff of the practice whose role works the queue, by name: who a call can go to."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__practice=practice,
            memberships__is_active=True,
            memberships__role__in=WORKER_ROLES,
        )
        .distinct()
        .order_by("name", "email")
    )


# --- One call or follow-up (404 outside the practice) --------------------------------------------


def call_get(*, practice: Practice, reminder_id) -> Reminder:
    """A call of the practice (any status: a logged one answers "already logged"), or 404."""
    return get_object_or_404(
        Reminder.objects.select_related("plan__patient", "follow_up", "assigned_to"),
        practice=practice,
        channel=Channel.CALL,
        pk=reminder_id,
    )


def call_row(*, practice: Practice, reminder_id) -> Reminder | None:
    """One pending call with its row's annotations (to show its row again), or None."""
    return _annotated(_pending_calls(practice).filter(pk=reminder_id), practice).first()


def follow_up_get(*, practice: Practice, follow_up_id) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.select_related("plan__patient", "owner", "cadence"),
        practice=practice,
        pk=follow_up_id,
    )
