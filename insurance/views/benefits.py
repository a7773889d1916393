"""A group plan's benefit rows and downgrade rules: add, change and remove them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from coordinator.permissions import practice_view
from coordinator.roles import Capability
from insurance import benefit_services as services
from insurance import selectors
from insurance.benefit_forms import MODEL_TO_FORM, BenefitForm
from insurance.forms import DowngradeForm
from insurance.models import BenefitKind
from insurance.views.group_plans import plan_for


def _detail_url(request: HttpRequest, group_plan, anchor: str = "") -> str:
    url = reverse("insurance:plan_detail", args=[request.practice.slug, group_plan.pk])
    return f"{url}#{anchor}" if anchor else url


def _model_errors(form: BenefitForm, error: ValidationError) -> None:
    """A row's model errors next to the form field they are about, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = MODEL_TO_FORM.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


def _render_benefit(request, form, group_plan, kind, benefit=None) -> HttpResponse:
    return render(
        request,
        "insurance/benefit_form.html",
        {
            "form": form,
            "group_plan": group_plan,
            "kind_label": BenefitKind(kind).label,
            "kind": kind,
            "benefit": benefit,
        },
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_MANAGE)
def benefit_create(request: HttpRequest, plan_id, kind: str) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    if kind not in BenefitKind.values:
        raise Http404("No such kind of benefit.")
    form = BenefitForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.benefit_create(
                group_plan=group_plan, request=request, kind=kind, data=form.benefit_data()
            )
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(request, f"{BenefitKind(kind).label} added.")
            return redirect(_detail_url(request, group_plan, f"benefits-{kind}"))
    return _render_benefit(request, form, group_plan, kind)


@practice_view(Capability.INSURANCE_MANAGE)
def benefit_edit(request: HttpRequest, plan_id, benefit_id) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    benefit = selectors.benefit_get(group_plan=group_plan, benefit_id=benefit_id)
    benefit.group_plan = group_plan
    form = BenefitForm(request.POST or None, kind=benefit.kind, benefit=benefit)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.benefit_update(
                benefit=benefit, request=request, data=form.benefit_data()
            )
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(request, "Benefit saved." if changed else "Nothing changed.")
            return redirect(_detail_url(request, group_plan, f"benefits-{benefit.kind}"))
    return _render_benefit(request, form, group_plan, benefit.kind, benefit)


@require_POST
@practice_view(Capability.INSURANCE_MANAGE)
def benefit_delete(request: HttpRequest, plan_id, benefit_id) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    benefit = selectors.benefit_get(group_plan=group_plan, benefit_id=benefit_id)
    benefit.group_plan = group_plan
    kind = benefit.kind
    services.benefit_delete(benefit=benefit, request=request)
    messages.success(request, f"{BenefitKind(kind).label} removed.")
    return redirect(_detail_url(request, group_plan, f"benefits-{kind}"))


@practice_view(Capability.INSURANCE_MANAGE)
def downgrade_create(request: HttpRequest, plan_id) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    form = DowngradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.downgrade_create(
                group_plan=group_plan, request=request, data=form.cleaned_data
            )
        except ValidationError as error:
            _model_errors(form, error)
        else:
            messages.success(request, "Downgrade added.")
            return redirect(_detail_url(request, group_plan, "downgrades"))
    return render(
        request,
        "insurance/downgrade_form.html",
        {"form": form, "group_plan": group_plan},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@practice_view(Capability.INSURANCE_MANAGE)
def downgrade_delete(request: HttpRequest, plan_id, rule_id) -> HttpResponse:
    group_plan = plan_for(request, plan_id)
    rule = selectors.downgrade_get(group_plan=group_plan, rule_id=rule_id)
    rule.group_plan = group_plan
    services.downgrade_delete(rule=rule, request=request)
    messages.success(request, "Downgrade removed.")
    return redirect(_detail_url(request, group_plan, "downgrades"))
