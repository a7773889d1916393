"""The follow-up queue: today's and overdue calls, logging their outcome, handing them over.

One page (`queue`) lists the calls; each row opens its small outcome (or reassign) form in
place with htmx and posts it to the call's own URL. After logging, htmx removes the row and
shows a confirmation; without JavaScript the same URLs are pages that redirect back. A call that
was logged already (a double click) answers with a message and changes nothing.
"""

from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRefresh

from coordinator.audit import audit_record
from coordinator.models import User
from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from plans import queue_selectors as selectors
from plans import queue_services as services
from plans.followup_models import (
    Channel,
    FollowUpStatus,
    Reminder,
    ReminderStatus,
    TouchOutcome,
)
from plans.forms import apply_service_errors
from plans.models import DecisionReason
from plans.queue_forms import CallOutcome, OutcomeForm, ReassignForm
from plans.queue_selectors import QueueSort, Tab
from plans.states import TransitionNotAllowed
from plans.views.builder_page import as_uuid

TEMPLATE = "plans/queue.html"
# Rows shown at once; the tab's count covers them all.
MAX_ROWS = 200


# --- What the list shows ------------------------------------------------------------------------


def _list_params(request: HttpRequest) -> dict[str, str]:
    """The list's filters: from the query string, or for an htmx row request from the page URL
    the row is on (so the counts it sends back match what the user is looking at)."""
    if request.htmx and request.htmx.target != "queue-list" and request.htmx.current_url:
        query = parse_qs(urlsplit(request.htmx.current_url).query)
        return {key: values[0] for key, values in query.items() if values}
    return {key: request.GET.get(key, "") for key in ("tab", "sort", "who")}


def _assignee(request: HttpRequest, who: str, staff: list[User]) -> tuple[str, User | None]:
    """Whose calls: a coordinator always sees their own; a manager picks anyone, or everyone."""
    if not can(request, Capability.FOLLOW_UPS_MANAGE) or who == "me":
        return "me", request.user
    chosen = next((user for user in staff if str(user.pk) == who), None)
    return (who, chosen) if chosen else ("", None)


def _decorate(calls: list[Reminder]) -> list[Reminder]:
    """What each row prints, computed once here instead of in the template."""
    today = timezone.localdate()
    for call in calls:
        call.days_overdue = (today - timezone.localdate(call.due_at)).days
        call.step = selectors.step_label(call)
        call.last_touch = ""
        if call.last_touch_at:
            outcome = TouchOutcome(call.last_touch_outcome).label
            call.last_touch = f"{outcome} ({Channel(call.last_touch_channel).label.lower()})"
        active = call.follow_up and call.follow_up.status == FollowUpStatus.ACTIVE
        call.suggestion = call.follow_up.suggestion if active else ""
        call.can_hand_over_follow_up = bool(active)
    return calls


def _row_context(request: HttpRequest, *, inline: bool = True, **extra) -> dict:
    """What a row and its forms need; `inline` for rows on the queue page (htmx)."""
    return {
        "inline": inline,
        "can_decide": can(request, Capability.PLANS_DECIDE),
        "manager": can(request, Capability.FOLLOW_UPS_MANAGE),
        "team": can(request, Capability.FOLLOW_UPS_MANAGE)
        and _list_params(request).get("who", "") != "me",
        **extra,
    }


def _list_context(request: HttpRequest, params: dict[str, str]) -> dict:
    tab = params.get("tab", "")
    tab = Tab(tab) if tab in Tab.values else Tab.TODAY
    sort = params.get("sort", "")
    sort = QueueSort(sort) if sort in QueueSort.values else QueueSort.VALUE
    manager = can(request, Capability.FOLLOW_UPS_MANAGE)
    staff = selectors.queue_staff(practice=request.practice) if manager else []
    who, assignee = _assignee(request, params.get("who", ""), staff)
    return {
        "tab": tab.value,
        "sort": sort.value,
        "who": who,
        "assignee": assignee,
        "staff": staff,
        "manager": manager,
        "team": manager and who != "me",
        "counts": selectors.queue_counts(practice=request.practice, assignee=assignee),
        "tabs": Tab.choices,
        "sorts": QueueSort.choices,
    }


# --- Pages ---------------------------------------------------------------------------------------


@practice_view(Capability.FOLLOW_UPS_WORK)
def queue(request: HttpRequest) -> HttpResponse:
    context = _list_context(request, _list_params(request))
    calls = selectors.queue_calls(
        practice=request.practice,
        tab=Tab(context["tab"]),
        assignee=context["assignee"],
        sort=QueueSort(context["sort"]),
    )
    rows = _decorate(list(calls[:MAX_ROWS]))
    audit_record(
        action="follow_ups.queue_viewed",
        request=request,
        detail={"tab": context["tab"], "team": context["team"], "shown": len(rows)},
    )
    template = TEMPLATE
    if request.htmx and request.htmx.target == "queue-list":
        template += "#list"
    context["truncated"] = len(rows) == MAX_ROWS
    return render(request, template, _row_context(request, rows=rows, **context))


@practice_view(Capability.FOLLOW_UPS_WORK)
def badge(request: HttpRequest) -> HttpResponse:
    """The navigation's count of the user's calls due today, loaded after the page."""
    count = selectors.queue_badge_count(practice=request.practice, user=request.user)
    return render(request, f"{TEMPLATE}#badge", {"badge_count": count})


def _queue_url(request: HttpRequest) -> str:
    return reverse("follow_ups:queue", args=[request.practice.slug])


def _row(request: HttpRequest, call: Reminder, *, status: int = 200, **extra) -> HttpResponse:
    """One call's row again (closed, or with a form open), for htmx."""
    row = selectors.call_row(practice=request.practice, reminder_id=call.pk)
    if row is None:
        return _gone(request, extra.get("notice", ""), error=False)
    context = _row_context(request, call=_decorate([row])[0], **extra)
    return render(request, f"{TEMPLATE}#call", context, status=status)


def _gone(request: HttpRequest, notice: str, *, error: bool) -> HttpResponse:
    """The row leaves the queue; the notice, the tab counts and the badge are updated."""
    context = _list_context(request, _list_params(request))
    context["notice"] = notice
    context["notice_error"] = error
    context["badge_count"] = selectors.queue_badge_count(
        practice=request.practice, user=request.user
    )
    return render(request, f"{TEMPLATE}#gone", context)


def _closed(request: HttpRequest, call: Reminder) -> HttpResponse:
    """The call was logged already or is no longer due: say so, change nothing."""
    message = services.call_closed_message(call)
    if request.htmx:
        return _gone(request, message, error=True)
    messages.error(request, message)
    return redirect(_queue_url(request))


def _logged_notice(call: Reminder, data: dict) -> str:
    name = call.plan.patient.full_name
    outcome = data["outcome"]
    if outcome == CallOutcome.CALL_BACK:
        return f"{name}: call back on {data['call_back_on']:%a %b %-d}."
    text = f"{name}: {CallOutcome.LABELS[outcome].lower()} logged."
    if outcome == CallOutcome.ACCEPTED:
        text += " The plan is accepted."
    elif outcome in (CallOutcome.DECLINED, CallOutcome.DEFERRED):
        text += f" Reason: {DecisionReason(data['reason']).label.lower()}."
    return text


@practice_view(Capability.FOLLOW_UPS_WORK)
def call_outcome(request: HttpRequest, reminder_id) -> HttpResponse:
    """GET: the outcome form (in the row for htmx). POST: log it; the row leaves the queue."""
    call = selectors.call_get(practice=request.practice, reminder_id=reminder_id)
    if call.status != ReminderStatus.PENDING:
        return _closed(request, call)
    if request.htmx and request.GET.get("cancel"):
        return _row(request, call)
    form = OutcomeForm(
        request.POST if request.method == "POST" else None,
        can_decide=can(request, Capability.PLANS_DECIDE),
        today=timezone.localdate(),
        key=call.pk.hex[:8],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.call_log_outcome(
                reminder=call,
                outcome=data["outcome"],
                by=request.user,
                request=request,
                reason=data["reason"],
                call_back_on=data["call_back_on"],
                note=data["note"],
            )
        except services.CallClosed:
            call.refresh_from_db()
            return _closed(request, call)
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            notice = _logged_notice(call, data)
            if request.htmx:
                return _gone(request, notice, error=False)
            messages.success(request, notice)
            return redirect(_queue_url(request))
    status = 422 if request.method == "POST" else 200
    if request.htmx:
        return _row(request, call, status=status, outcome_form=form)
    row = selectors.call_row(practice=request.practice, reminder_id=call.pk)
    context = _row_context(request, inline=False, call=_decorate([row])[0], form=form)
    return render(request, "plans/queue_outcome.html", context, status=status)


# --- Handing over (managers) ---------------------------------------------------------------------


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def call_reassign(request: HttpRequest, reminder_id) -> HttpResponse:
    """Put one call in someone else's queue."""
    call = selectors.call_get(practice=request.practice, reminder_id=reminder_id)
    if call.status != ReminderStatus.PENDING:
        return _closed(request, call)
    if request.htmx and request.GET.get("cancel"):
        return _row(request, call)
    staff = selectors.queue_staff(practice=request.practice)
    form = ReassignForm(
        request.POST if request.method == "POST" else None,
        staff=staff,
        initial_user=call.assigned_to,
        key=call.pk.hex[:8],
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"]
        try:
            services.call_reassign(reminder=call, to=to, request=request)
        except services.CallClosed:
            call.refresh_from_db()
            return _closed(request, call)
        notice = f"{call.plan.patient.full_name}: this call is now {to.name}'s."
        if request.htmx:
            return _row(request, call, notice=notice)
        messages.success(request, notice)
        return redirect(_queue_url(request))
    status = 422 if request.method == "POST" else 200
    if request.htmx:
        return _row(request, call, status=status, reassign_form=form)
    row = selectors.call_row(practice=request.practice, reminder_id=call.pk)
    return render(
        request,
        "plans/queue_reassign.html",
        _row_context(request, inline=False, call=_decorate([row])[0], form=form),
        status=status,
    )


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def follow_up_reassign(request: HttpRequest, follow_up_id) -> HttpResponse:
    """Give a whole follow-up (its ownership and its pending calls) to someone else."""
    follow_up = selectors.follow_up_get(practice=request.practice, follow_up_id=follow_up_id)
    staff = selectors.queue_staff(practice=request.practice)
    form = ReassignForm(
        request.POST if request.method == "POST" else None,
        staff=staff,
        initial_user=follow_up.owner,
    )
    if request.method == "POST" and form.is_valid():
        to = form.cleaned_data["to"]
        try:
            moved = services.follow_up_reassign(follow_up=follow_up, to=to, request=request)
        except services.FollowUpEnded as error:
            form.add_error(None, str(error))
        else:
            notice = (
                f"{follow_up.plan.patient.full_name}: the follow-up is now {to.name}'s "
                f"({moved} call{'s' if moved != 1 else ''} moved)."
            )
            if request.htmx:
                call_id = as_uuid(request.POST.get("call"))
                call = call_id and selectors.call_row(
                    practice=request.practice, reminder_id=call_id
                )
                if not call:
                    messages.success(request, notice)
                    return HttpResponseClientRefresh()
                return _row(request, call, notice=notice)
            messages.success(request, notice)
            return redirect(_queue_url(request))
    return render(
        request,
        "plans/queue_reassign.html",
        _row_context(request, inline=False, call=None, follow_up=follow_up, form=form),
        status=422 if request.method == "POST" else 200,
    )
