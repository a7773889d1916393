"""The coordinator's overview: home queues, the plans list, and a presentation as it was shown."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from coordinator.audit import audit_record
from coordinator.permissions import practice_view
from coordinator.roles import Capability, Role
from plans import overview_selectors as selectors
from plans.models import PlanStatus
from plans.overview_selectors import Queue, Sort
from plans.presentation_diff import ShownOption, ShownProcedure, presentation_diff
from plans.totals import FeeLine, option_totals

# Rows per home list; the count and total cover the whole list, "see all" opens the rest.
HOME_ROWS = 50
PAGE_SIZE = 25

# Each home list: what it holds, and what its age counts from.
QUEUES = (
    (Queue.TO_PRESENT, "Diagnosed, not yet presented.", "since diagnosed"),
    (
        Queue.UNDECIDED,
        "Presented, not fully decided: the value still undecided.",
        "since presented",
    ),
    (
        Queue.ACCEPTED_UNSCHEDULED,
        "Accepted work waiting for an appointment.",
        "since accepted",
    ),
)


def _age_days(since, today) -> int | None:
    return (today - timezone.localdate(since)).days if since else None


def _default_scope(request: HttpRequest) -> str:
    # A coordinator works their own presented plans; everyone else watches the practice.
    return "mine" if request.membership.role == Role.COORDINATOR else "practice"


@practice_view(Capability.PLANS_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "")
    sort = Sort(sort) if sort in Sort.values else Sort.VALUE_DESC
    scope = request.GET.get("scope", "")
    if scope not in ("mine", "practice"):
        scope = _default_scope(request)
    mine = request.user if scope == "mine" else None
    today = timezone.localdate()
    lists = []
    for queue, description, age_label in QUEUES:
        plans = selectors.home_queue(practice=request.practice, queue=queue, sort=sort, mine=mine)
        summary = selectors.queue_summary(plans)
        rows = list(plans[:HOME_ROWS])
        for plan in rows:
            plan.age_days = _age_days(plan.since, today)
        lists.append(
            {
                "queue": queue.value,
                "title": queue.label,
                "description": description,
                "age_label": age_label,
                "rows": rows,
                "count": summary["count"],
                "total": summary["total"],
            }
        )
    audit_record(
        action="plans.home_viewed",
        request=request,
        detail={"scope": scope, "shown": sum(len(item["rows"]) for item in lists)},
    )
    template = "plans/overview_home.html"
    if request.htmx and request.htmx.target == "home-lists":
        template += "#lists"
    return render(
        request, template, {"lists": lists, "sort": sort.value, "scope": scope, "rows": HOME_ROWS}
    )


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@practice_view(Capability.PLANS_VIEW)
def plan_list(request: HttpRequest) -> HttpResponse:
    statuses = [status for status in request.GET.getlist("status") if status in PlanStatus.values]
    dentists = list(selectors.plan_dentists(practice=request.practice))
    dentist_id = _uuid_or_none(request.GET.get("dentist", ""))
    if dentist_id not in {dentist.pk for dentist in dentists}:
        dentist_id = None
    queue = request.GET.get("queue", "")
    queue = Queue(queue) if queue in Queue.values else None
    query = request.GET.get("q", "")[:100]
    plans = selectors.plan_list(
        practice=request.practice,
        statuses=statuses,
        dentist_id=dentist_id,
        query=query,
        queue=queue,
    )
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        action="plans.listed",
        request=request,
        detail={"searched": bool(query.strip()), "shown": len(page)},
    )
    template = "plans/overview_plans.html"
    if request.htmx and request.htmx.target == "plan-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "statuses": statuses,
            "status_choices": PlanStatus.choices,
            "dentists": dentists,
            "dentist_id": dentist_id,
            "queue": queue.value if queue else "",
            "queue_title": queue.label if queue else "",
            "query": query,
        },
    )


@dataclass(frozen=True)
class ShownPhase:
    number: int
    name: str
    procedures: tuple[ShownProcedure, ...]
    total: Decimal


def _phases(option: ShownOption) -> list[ShownPhase]:
    totals = option_totals(FeeLine(p.phase_number, p.fee) for p in option.procedures)
    return [
        ShownPhase(
            number=number,
            name=next(p.phase_name for p in option.procedures if p.phase_number == number),
            procedures=tuple(p for p in option.procedures if p.phase_number == number),
            total=total,
        )
        for number, total in totals.by_phase.items()
    ]


@practice_view(Capability.PLANS_VIEW)
def presentation_detail(request: HttpRequest, plan_id, presentation_id) -> HttpResponse:
    presentation = selectors.presentation_get(
        practice=request.practice, plan_id=plan_id, presentation_id=presentation_id
    )
    plan = presentation.plan
    previous = selectors.presentation_previous(presentation=presentation)
    shown = selectors.presentations_shown(
        presentations=[presentation, previous] if previous else [presentation]
    )
    options = shown[presentation.pk]
    diff = presentation_diff(shown[previous.pk], options) if previous else None
    audit_record(
        action="plan.presentation_viewed",
        request=request,
        obj=presentation,
        patient_id=plan.patient_id,
    )
    return render(
        request,
        "plans/presentation_detail.html",
        {
            "presentation": presentation,
            "plan": plan,
            "patient": plan.patient,
            "options": [(option, _phases(option)) for option in options],
            "previous": previous,
            "diff": diff,
            "presentations": list(selectors.presentation_siblings(presentation=presentation)),
        },
    )
