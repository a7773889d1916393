"""Cadences (office managers): the named sequences of steps that follow-ups run on.

Plain pages and forms that redirect back; errors answer 422 with the same page. The step form
previews its message for a sample patient as it is typed (htmx posts the form with `preview`;
nothing is saved then).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from coordinator.permissions import practice_view
from coordinator.roles import Capability
from plans import cadence_selectors, followup_services
from plans import cadence_services as services
from plans.cadence_forms import (
    SAMPLE_FIRST_NAME,
    SAMPLE_LINK,
    CadenceForm,
    StepForm,
    content_warnings,
    template_problems,
)
from plans.followup_models import Cadence, CadenceStep, Channel
from plans.forms import apply_service_errors
from plans.models import DecisionReason
from plans.reminders import render_text

REASON_LABELS = dict(DecisionReason.choices)


def _cadences(request: HttpRequest):
    return cadence_selectors.cadence_list(practice=request.practice)


def _cadence(request: HttpRequest, cadence_id) -> Cadence:
    cadence = get_object_or_404(_cadences(request), pk=cadence_id)
    cadence.practice = request.practice
    return cadence


def _step(request: HttpRequest, cadence: Cadence, step_id) -> CadenceStep:
    step = get_object_or_404(
        cadence_selectors.cadence_steps(practice=request.practice, cadence=cadence), pk=step_id
    )
    step.cadence = cadence
    return step


def _reason_labels(cadence: Cadence) -> list[str]:
    return [REASON_LABELS.get(reason, reason) for reason in cadence.reasons or []]


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def cadence_list(request: HttpRequest) -> HttpResponse:
    # The default "2-2-2" exists from the first look on (created once, like a presentation would).
    followup_services.default_cadence(request.practice)
    cadences = list(_cadences(request))
    for cadence in cadences:
        cadence.reason_labels = _reason_labels(cadence)
    return render(request, "plans/cadence_list.html", {"cadences": cadences})


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def cadence_create(request: HttpRequest) -> HttpResponse:
    form = CadenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cadence = services.cadence_create(
                practice=request.practice, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Cadence “{cadence.name}” created: now add its steps.")
            return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)
    return render(
        request,
        "plans/cadence_form.html",
        {"form": form, "cadence": None},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def cadence_edit(request: HttpRequest, cadence_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    initial = {"name": cadence.name, "reasons": cadence.reasons, "is_default": cadence.is_default}
    form = CadenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.cadence_update(cadence=cadence, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Cadence saved." if changed else "Nothing was changed.")
            return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)
    steps = list(cadence.steps.all())
    return render(
        request,
        "plans/cadence_form.html",
        {
            "form": form,
            "cadence": cadence,
            "steps": steps,
            "reason_labels": _reason_labels(cadence),
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@practice_view(Capability.FOLLOW_UPS_MANAGE)
def cadence_delete(request: HttpRequest, cadence_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    try:
        services.cadence_delete(cadence=cadence, request=request)
    except services.CadenceRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)
    messages.success(request, f"Cadence “{cadence.name}” deleted.")
    return redirect("follow_ups:cadences", request.practice.slug)


@require_POST
@practice_view(Capability.FOLLOW_UPS_MANAGE)
def cadence_active(request: HttpRequest, cadence_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    active = request.POST.get("active") == "1"
    try:
        changed = services.cadence_set_active(cadence=cadence, request=request, active=active)
    except services.CadenceRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if changed:
            messages.success(
                request,
                f"“{cadence.name}” is active again: new follow-ups may start on it."
                if active
                else f"“{cadence.name}” is deactivated: follow-ups on it carry on, no new one "
                "starts on it.",
            )
    return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)


# --- Steps ---------------------------------------------------------------------------------------


def _preview(request: HttpRequest, data) -> dict:
    """The message as a sample patient would get it, and what in it looks risky."""
    channel = data.get("channel", "")
    subject = data.get("subject", "") if channel == Channel.EMAIL else ""
    body = data.get("body", "")
    values = {
        "first_name": SAMPLE_FIRST_NAME,
        "practice": request.practice.name,
        "plan_link": SAMPLE_LINK,
    }
    automatic = channel in (Channel.EMAIL, Channel.SMS)
    return {
        "channel": channel,
        "subject": render_text(subject, **values),
        "body": render_text(body, **values),
        "problems": template_problems(subject) + template_problems(body),
        "warnings": content_warnings(subject, body) if automatic else [],
        "no_link": automatic and bool(body) and "{plan_link}" not in body,
        "sample_first_name": SAMPLE_FIRST_NAME,
    }


def _step_page(
    request: HttpRequest, cadence: Cadence, form: StepForm, step: CadenceStep | None
) -> HttpResponse:
    data = form.data if form.is_bound else form.initial
    context = {"cadence": cadence, "form": form, "step": step, "preview": _preview(request, data)}
    if request.htmx and request.GET.get("preview"):
        return render(request, "plans/cadence_step_form.html#preview", context)
    return render(
        request,
        "plans/cadence_step_form.html",
        context,
        status=422 if request.method == "POST" else 200,
    )


def _wants_preview(request: HttpRequest) -> bool:
    return request.method == "POST" and bool(request.GET.get("preview"))


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def step_add(request: HttpRequest, cadence_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    first = not cadence.steps.all()
    form = StepForm(
        request.POST or None,
        first=first,
        initial={"days": 2, "after": "presentation", "channel": Channel.CALL},
    )
    if _wants_preview(request):
        return _step_page(request, cadence, form, None)
    if request.method == "POST" and form.is_valid():
        try:
            step = services.step_add(cadence=cadence, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Step {step.number} added.")
            return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)
    return _step_page(request, cadence, form, None)


@practice_view(Capability.FOLLOW_UPS_MANAGE)
def step_edit(request: HttpRequest, cadence_id, step_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    step = _step(request, cadence, step_id)
    initial = {field: getattr(step, field) for field in services.STEP_FIELDS}
    form = StepForm(request.POST or None, first=step.number == 1, initial=initial)
    if _wants_preview(request):
        return _step_page(request, cadence, form, step)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.step_update(step=step, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"Step {step.number} saved." if changed else "Nothing was changed."
            )
            return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)
    return _step_page(request, cadence, form, step)


@require_POST
@practice_view(Capability.FOLLOW_UPS_MANAGE)
def step_remove(request: HttpRequest, cadence_id, step_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    step = _step(request, cadence, step_id)
    try:
        services.step_remove(step=step, request=request)
    except services.CadenceRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Step {step.number} removed; the others were renumbered.")
    return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)


@require_POST
@practice_view(Capability.FOLLOW_UPS_MANAGE)
def step_move(request: HttpRequest, cadence_id, step_id) -> HttpResponse:
    cadence = _cadence(request, cadence_id)
    step = _step(request, cadence, step_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, "Move the step up or down.")
    else:
        services.step_move(step=step, request=request, offset=offset)
    return redirect("follow_ups:cadence_edit", request.practice.slug, cadence.pk)
