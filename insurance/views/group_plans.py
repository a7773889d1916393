"""Group plans: find them, open one with its benefits, downgrades and fee schedules; plan
keepers add, change and copy them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from insurance import selectors, services
from insurance.benefit_forms import CATEGORY_SPANS
from insurance.forms import DowngradeForm, GroupPlanCopyForm, GroupPlanForm
from insurance.models import GroupPlan
from plans.forms import apply_service_errors

PAGE_SIZE = 50


def plan_for(request: HttpRequest, plan_id) -> GroupPlan:
    """The practice's group plan (404 for anything else), sharing the request's practice."""
    group_plan = selectors.group_plan_get(practice=request.practice, plan_id=plan_id)
    group_plan.practice = request.practice
    return group_plan


@practice_view(Capability.INSURANCE_VIEW)
def group_plan_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    carriers = list(selectors.carrier_list(practice=request.practice))
    carrier_id = request.GET.get("carrier", "")
    if carrier_id not in {str(carrier.pk) for carrier in carriers}:
        carrier_id = ""
    inactive = request.GET.get("inactive") == "1"
    plans = selectors.group_plan_list(
        practice=request.practice, query=query, carrier_id=carrier_id, include_inactive=inactive
    )
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"q": query, "carrier": carrier_id, "inactive": "1" if inactive else ""}
    template = "insurance/plan_list.html"
    if request.htmx and request.htmx.target == "plan-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "carriers": carriers,
            "carrier_id": carrier_id,
            "inactive": inactive,
            "page_query": urlencode({key: value for key, value in filters.items() if value}),
            "can_manage": can(request, Capability.INSURANCE_MANAGE),
        },
    )


@practice_view(Capability.INSURANCE_VIEW)
def group_plan_detail(request: HttpRequest, plan_id) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    can_manage = can(request, Capability.INSURANCE_MANAGE)
    return render(
        request,
        "insurance/plan_detail.html",
        {
            "group_plan": group_plan,
            "page": selectors.group_plan_page(group_plan=group_plan),
            "can_manage": can_manage,
            "downgrade_form": DowngradeForm() if can_manage else None,
            "category_spans": CATEGORY_SPANS,
        },
    )


def _render_form(request: HttpRequest, form: GroupPlanForm, group_plan=None) -> HttpResponse:
    return render(
        request,
        "insurance/plan_form.html",
        {"form": form, "group_plan": group_plan},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_MANAGE)
def group_plan_create(request: HttpRequest) -> HttpResponse:
    form = GroupPlanForm(request.POST or None, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        try:
            group_plan = services.group_plan_create(
                practice=request.practice, request=request, data=form.plan_data()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The group plan was added. Now enter its benefits.")
            return redirect("insurance:plan_detail", request.practice.slug, group_plan.pk)
    return _render_form(request, form)


@practice_view(Capability.INSURANCE_MANAGE)
def group_plan_edit(request: HttpRequest, plan_id) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    form = GroupPlanForm(request.POST or None, practice=request.practice, group_plan=group_plan)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.group_plan_update(
                group_plan=group_plan, request=request, data=form.plan_data()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            group_plan.refresh_from_db()
        else:
            messages.success(
                request, "The group plan was saved." if changed else "Nothing changed."
            )
            return redirect("insurance:plan_detail", request.practice.slug, group_plan.pk)
    return _render_form(request, form, group_plan)


@practice_view(Capability.INSURANCE_MANAGE)
def group_plan_copy(request: HttpRequest, plan_id) -> HttpResponse:
    """A new group plan on this one's template, for another employer."""
    source = plan_for(request, plan_id)
    form = GroupPlanCopyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.group_plan_copy(source=source, request=request, data=form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                "The copy was made. Its benefits are marked “assumed” until someone checks them.",
            )
            return redirect("insurance:plan_detail", request.practice.slug, copy.pk)
    return render(
        request,
        "insurance/plan_copy.html",
        {"form": form, "group_plan": source},
        status=422 if request.method == "POST" else 200,
    )
