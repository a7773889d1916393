"""The plan page: build a plan, present it, and record the patient's decisions and the work done.

One page (`plan_detail`) shows everything; each change is a POST to its own URL. A plain POST
redirects back to the page; an htmx POST gets the page's `builder` partial, re-rendered. Errors
answer 422 with the same page or partial, the message next to the field it is about.
"""

from collections.abc import Callable

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import replace_url

from coordinator.audit import audit_record
from coordinator.permissions import practice_view
from coordinator.roles import Capability
from patients import selectors as patient_selectors
from plans import selectors, services
from plans.forms import (
    BenefitYearForm,
    CloseForm,
    CompleteForm,
    DecisionForm,
    MoveForm,
    NameForm,
    PhaseNameForm,
    PlanForm,
    PlanUpdateForm,
    PresentForm,
    ProcedureAddForm,
    ProcedureEditForm,
    SplitForm,
    VersionForm,
    WaitForm,
    apply_service_errors,
)
from plans.models import DecisionKind, Phase, PlannedProcedure, TreatmentOption, TreatmentPlan
from plans.states import TransitionNotAllowed
from plans.views.builder_page import PageState, as_uuid, page_context

TEMPLATE = "plans/plan_detail.html"
BUILDER = f"{TEMPLATE}#builder"


def _plan(request: HttpRequest, plan_id) -> TreatmentPlan:
    plan = selectors.plan_get(practice=request.practice, plan_id=plan_id)
    plan.practice = request.practice
    return plan


def _detail_url(request: HttpRequest, plan: TreatmentPlan, option_id=None) -> str:
    url = reverse("plans:detail", args=[request.practice.slug, plan.pk])
    return f"{url}?option={option_id}" if option_id else url


def _done(
    request: HttpRequest, plan: TreatmentPlan, notice: str, *, option_id=None, **state
) -> HttpResponse:
    """After a change: the re-rendered builder for htmx, otherwise back to the page."""
    url = _detail_url(request, plan, option_id)
    if request.htmx:
        plan.refresh_from_db()
        page = page_context(request, plan, PageState(option_id=option_id, notice=notice, **state))
        return replace_url(render(request, BUILDER, page), url)
    messages.success(request, notice)
    return redirect(url)


def _refused(request: HttpRequest, plan: TreatmentPlan, state: PageState) -> HttpResponse:
    """The page again, unchanged, with what went wrong next to where it went wrong (422)."""
    plan.refresh_from_db()
    template = BUILDER if request.htmx else TEMPLATE
    return render(request, template, page_context(request, plan, state), status=422)


def _attempt(
    request: HttpRequest,
    plan: TreatmentPlan,
    *,
    form: django_forms.Form,
    key: str,
    change: Callable[[dict], str | tuple[str, dict]],
    option_id=None,
) -> HttpResponse:
    """Validate `form`, make the change, and answer; any refusal changes nothing.

    `change` returns the notice to show, or the notice and what to show after it (another
    option, the phase to add to next).
    """
    if option_id is None:
        # Changes to the whole plan keep showing the option the user was looking at.
        option_id = as_uuid(request.POST.get("shown_option"))
    if form.is_valid():
        try:
            outcome = change(form.cleaned_data)
        except services.PlanChanged as error:
            return _refused(request, plan, PageState(option_id=option_id, problem=str(error)))
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            notice, after = outcome if isinstance(outcome, tuple) else (outcome, {})
            return _done(request, plan, notice, **{"option_id": option_id, **after})
    return _refused(request, plan, PageState(option_id=option_id, forms={key: form}))


# --- Pages ---------------------------------------------------------------------------------------


@practice_view(Capability.PLANS_EDIT)
def plan_create(request: HttpRequest, patient_id) -> HttpResponse:
    patient = patient_selectors.patient_get(practice=request.practice, patient_id=patient_id)
    dentists = selectors.practice_dentists(practice=request.practice)
    initial = {"dentist": str(request.user.pk)} if request.user in dentists else None
    form = PlanForm(request.POST or None, dentists=dentists, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            plan = services.plan_create(
                practice=request.practice,
                patient=patient,
                dentist=form.cleaned_data["dentist"],
                request=request,
                title=form.cleaned_data["title"],
            )
            messages.success(request, "Plan started: add the procedures the dentist recommends.")
            return redirect("plans:detail", request.practice.slug, plan.pk)
    else:
        audit_record(action="patient.viewed", request=request, obj=patient, patient_id=patient.pk)
    return render(
        request,
        "plans/plan_create.html",
        {"form": form, "patient": patient, "dentists": dentists},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.PLANS_VIEW)
def plan_detail(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)
    audit_record(action="plan.viewed", request=request, obj=plan, patient_id=plan.patient_id)
    state = PageState(
        option_id=as_uuid(request.GET.get("option")),
        edit_id=as_uuid(request.GET.get("edit")),
        open_id=as_uuid(request.GET.get("open")),
        tooth=request.GET.get("tooth", "")[:2].upper(),
        primary=request.GET.get("teeth") == "primary",
    )
    template = BUILDER if request.htmx and request.htmx.target == "builder" else TEMPLATE
    return render(request, template, page_context(request, plan, state))


@practice_view(Capability.PLANS_EDIT)
def code_search(request: HttpRequest) -> HttpResponse:
    """Catalog codes matching what was typed, as choices for the add-procedure form."""
    query = request.GET.get("code_query", "")[:100]
    codes = list(selectors.procedure_code_search(practice=request.practice, query=query))
    return render(
        request,
        f"{TEMPLATE}#code_results",
        {"codes": codes, "query": query, "checked": codes[0].code if len(codes) == 1 else ""},
    )


# --- The plan ----------------------------------------------------------------------------------


@require_POST
@practice_view(Capability.PLANS_EDIT)
def plan_update(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)
    dentists = selectors.practice_dentists(practice=request.practice)
    form = PlanUpdateForm(request.POST, dentists=dentists)

    def change(data: dict) -> str:
        services.plan_update(
            plan=plan,
            request=request,
            expected_version=data["version"],
            title=data["title"],
            dentist=data["dentist"],
        )
        return "Plan details saved."

    return _attempt(request, plan, form=form, key="plan-edit", change=change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def plan_diagnose(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)

    def change(data: dict) -> str:
        services.plan_diagnose(plan=plan, request=request, expected_version=data["version"])
        return "Marked as diagnosed: ready to present."

    return _attempt(request, plan, form=VersionForm(request.POST), key="plan", change=change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def plan_close(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)

    def change(data: dict) -> str:
        services.plan_close(plan=plan, request=request, reason=data["reason"])
        return "Plan closed."

    return _attempt(request, plan, form=CloseForm(request.POST), key="close", change=change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def plan_reopen(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)

    def change(data: dict) -> str:
        services.plan_reopen(plan=plan, request=request)
        return "Plan reopened."

    return _attempt(request, plan, form=django_forms.Form(request.POST), key="plan", change=change)


@require_POST
@practice_view(Capability.PLANS_PRESENT)
def plan_present(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = PresentForm(request.POST)

    def change(data: dict) -> str:
        presentation = services.plan_present(
            plan=plan,
            request=request,
            expected_version=data["version"],
            presented_by=request.user,
            mode=data["mode"],
            note=data["note"],
        )
        return (
            f"Presentation recorded ({presentation.get_mode_display().lower()}): "
            f"version {presentation.plan_version} is kept exactly as shown."
        )

    return _attempt(request, plan, form=form, key="present", change=change)


# --- Options and phases ------------------------------------------------------------------------


@require_POST
@practice_view(Capability.PLANS_EDIT)
def option_add(request: HttpRequest, plan_id) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = NameForm(request.POST, auto_id="new-option-%s")

    def change(data: dict) -> tuple[str, dict]:
        option = services.option_add(
            plan=plan, request=request, expected_version=data["version"], name=data["name"]
        )
        # The new option is the one to show next.
        return f"Option “{option.name}” added: now add its procedures.", {"option_id": option.pk}

    return _attempt(request, plan, form=form, key="add-option", change=change)


def _option_action(
    request: HttpRequest,
    plan_id,
    option_id,
    form_class,
    key: str,
    change: Callable[[TreatmentOption, dict], str | tuple[str, dict]],
) -> HttpResponse:
    plan = _plan(request, plan_id)
    option = selectors.option_get(plan=plan, option_id=option_id)
    form = form_class(request.POST)
    return _attempt(
        request,
        plan,
        form=form,
        key=key.format(option=option.pk),
        change=lambda data: change(option, data),
        option_id=option.pk,
    )


@require_POST
@practice_view(Capability.PLANS_EDIT)
def option_rename(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    def change(option: TreatmentOption, data: dict) -> str:
        services.option_update(
            option=option, request=request, expected_version=data["version"], name=data["name"]
        )
        return f"Renamed to “{data['name']}”."

    return _option_action(request, plan_id, option_id, NameForm, "option-rename-{option}", change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def option_recommend(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    def change(option: TreatmentOption, data: dict) -> str:
        services.option_recommend(option=option, request=request, expected_version=data["version"])
        return f"“{option.name}” is now the recommended option."

    return _option_action(request, plan_id, option_id, VersionForm, "option-{option}", change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def option_move(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    def change(option: TreatmentOption, data: dict) -> str:
        offset = -1 if data["direction"] == "left" else 1
        services.option_move(
            option=option, request=request, expected_version=data["version"], offset=offset
        )
        return f"Moved “{option.name}” {data['direction']}."

    return _option_action(request, plan_id, option_id, MoveForm, "option-{option}", change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def option_remove(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    def change(option: TreatmentOption, data: dict) -> tuple[str, dict]:
        services.option_remove(option=option, request=request, expected_version=data["version"])
        return f"Option “{option.name}” removed.", {"option_id": None}

    return _option_action(request, plan_id, option_id, VersionForm, "option-{option}", change)


@require_POST
@practice_view(Capability.PLANS_DECIDE)
def option_accept(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    def change(option: TreatmentOption, data: dict) -> str:
        if not option.procedures.exists():
            raise ValidationError("This option has no procedures to accept.")
        services.option_accept(option=option, request=request, by=request.user)
        return (
            f"The patient chose “{option.name}”: its work is accepted, the other options declined."
        )

    return _option_action(request, plan_id, option_id, django_forms.Form, "option-{option}", change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def phase_add(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    def change(option: TreatmentOption, data: dict) -> str:
        phase = services.phase_add(option=option, request=request, expected_version=data["version"])
        return f"Phase {phase.number} added."

    return _option_action(request, plan_id, option_id, VersionForm, "option-{option}", change)


def _phase_action(
    request, plan_id, phase_id, form_class, key, change, auto_id="phase-{phase}-%s"
) -> HttpResponse:
    plan = _plan(request, plan_id)
    phase = selectors.phase_get(plan=plan, phase_id=phase_id)
    form = form_class(request.POST, auto_id=auto_id.format(phase=phase.pk))
    return _attempt(
        request,
        plan,
        form=form,
        key=key.format(phase=phase.pk),
        change=lambda data: change(phase, data),
        option_id=phase.option_id,
    )


@require_POST
@practice_view(Capability.PLANS_EDIT)
def phase_rename(request: HttpRequest, plan_id, phase_id) -> HttpResponse:
    def change(phase: Phase, data: dict) -> str:
        services.phase_update(
            phase=phase, request=request, expected_version=data["version"], name=data["name"]
        )
        return f"Phase {phase.number} renamed."

    return _phase_action(request, plan_id, phase_id, PhaseNameForm, "phase-rename-{phase}", change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def phase_remove(request: HttpRequest, plan_id, phase_id) -> HttpResponse:
    def change(phase: Phase, data: dict) -> str:
        services.phase_remove(phase=phase, request=request, expected_version=data["version"])
        return f"Phase {phase.number} removed."

    return _phase_action(request, plan_id, phase_id, VersionForm, "phase-{phase}", change)


# --- Benefit years ------------------------------------------------------------------------------


@require_POST
@practice_view(Capability.PLANS_EDIT)
def phase_benefit_year(request: HttpRequest, plan_id, phase_id) -> HttpResponse:
    def change(phase: Phase, data: dict) -> str:
        moving = data["benefit_year"] == "next"
        services.phase_set_benefit_year(
            phase=phase,
            request=request,
            expected_version=data["version"],
            next_benefit_year=moving,
        )
        year = "the next benefit year" if moving else "this benefit year"
        return f"{phase} is planned for {year}: the estimate is updated."

    return _phase_action(request, plan_id, phase_id, BenefitYearForm, "phase-{phase}", change)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def phase_wait(request: HttpRequest, plan_id, phase_id) -> HttpResponse:
    def change(phase: Phase, data: dict) -> str:
        months = data["may_wait_months"]
        services.phase_set_wait(
            phase=phase, request=request, expected_version=data["version"], may_wait_months=months
        )
        if not months:
            return f"{phase} should not wait."
        return f"{phase} may wait up to {months} month{pluralize(months)}."

    return _phase_action(
        request,
        plan_id,
        phase_id,
        WaitForm,
        "phase-wait-{phase}",
        change,
        auto_id="phase-wait-{phase}-%s",
    )


@require_POST
@practice_view(Capability.PLANS_EDIT)
def option_split(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    """Apply a split suggestion: exactly the phases it names wait for the next benefit year."""

    def change(option: TreatmentOption, data: dict) -> str:
        services.option_split_benefit_years(
            option=option,
            request=request,
            expected_version=data["version"],
            next_year_phases=data["next_year_phases"],
        )
        return "Split applied: the estimate below shows the phases in their benefit years."

    return _option_action(request, plan_id, option_id, SplitForm, "option-{option}", change)


# --- Procedures --------------------------------------------------------------------------------


@require_POST
@practice_view(Capability.PLANS_EDIT)
def procedure_add(request: HttpRequest, plan_id, option_id) -> HttpResponse:
    plan = _plan(request, plan_id)
    option = selectors.option_get(plan=plan, option_id=option_id)
    form = ProcedureAddForm(
        request.POST,
        practice=request.practice,
        phases=list(option.phases.order_by("number")),
        auto_id="add-%s",
    )

    def change(data: dict) -> tuple[str, dict]:
        code = data["procedure_code"]
        services.procedure_add(
            option=option,
            phase=data["phase"],
            code=code,
            request=request,
            expected_version=data["version"],
            tooth=data["tooth"],
            surfaces=data["surfaces"],
            area=data["area"],
            fee=data["fee"],
            fee_reason=data["fee_reason"],
        )
        where = f" on tooth {data['tooth']}" if data["tooth"] else ""
        # The next procedure most likely goes into the same phase.
        return f"Added {code.code} {code.description}{where}.", {"add_phase_id": data["phase"].pk}

    return _attempt(
        request, plan, form=form, key="add-procedure", change=change, option_id=option.pk
    )


def _procedure(
    request: HttpRequest, plan_id, procedure_id
) -> tuple[TreatmentPlan, PlannedProcedure]:
    plan = _plan(request, plan_id)
    return plan, selectors.procedure_get(plan=plan, procedure_id=procedure_id)


@require_POST
@practice_view(Capability.PLANS_EDIT)
def procedure_edit(request: HttpRequest, plan_id, procedure_id) -> HttpResponse:
    plan, procedure = _procedure(request, plan_id, procedure_id)
    form = ProcedureEditForm(
        request.POST,
        procedure=procedure,
        phases=list(procedure.option.phases.order_by("number")),
        version=plan.version,
    )

    def change(data: dict) -> str:
        services.procedure_update(
            procedure=procedure,
            request=request,
            expected_version=data["version"],
            phase=data["phase"],
            tooth=data.get("tooth", ""),
            surfaces=data.get("surfaces", ""),
            area=data.get("area", ""),
            fee=data["fee"],
            fee_reason=data["fee_reason"],
        )
        return f"{procedure.procedure_code.code} saved."

    return _attempt(
        request,
        plan,
        form=form,
        key=f"edit-{procedure.pk}",
        change=change,
        option_id=procedure.option_id,
    )


@require_POST
@practice_view(Capability.PLANS_EDIT)
def procedure_remove(request: HttpRequest, plan_id, procedure_id) -> HttpResponse:
    plan, procedure = _procedure(request, plan_id, procedure_id)

    def change(data: dict) -> str:
        services.procedure_remove(
            procedure=procedure, request=request, expected_version=data["version"]
        )
        return f"{procedure.procedure_code.code} removed."

    return _attempt(
        request,
        plan,
        form=VersionForm(request.POST),
        key=f"row-{procedure.pk}",
        change=change,
        option_id=procedure.option_id,
    )


@require_POST
@practice_view(Capability.PLANS_DECIDE)
def procedure_decide(request: HttpRequest, plan_id, procedure_id) -> HttpResponse:
    """Accept one procedure, or decline or defer it with a reason."""
    plan, procedure = _procedure(request, plan_id, procedure_id)
    if request.POST.get("kind") == DecisionKind.ACCEPTED:
        form, key = django_forms.Form(request.POST), f"row-{procedure.pk}"
        kind = DecisionKind.ACCEPTED
    else:
        form = DecisionForm(request.POST, auto_id=f"decide-{procedure.pk}-%s")
        key, kind = f"decide-{procedure.pk}", None

    def change(data: dict) -> str:
        decision = services.procedure_decide(
            procedure=procedure,
            request=request,
            kind=kind or data["kind"],
            by=request.user,
            reason=data.get("reason", ""),
            note=data.get("note", ""),
        )
        return f"{procedure.procedure_code.code}: {decision.get_kind_display().lower()}."

    return _attempt(request, plan, form=form, key=key, change=change, option_id=procedure.option_id)


@require_POST
@practice_view(Capability.PLANS_COMPLETE)
def procedure_complete(request: HttpRequest, plan_id, procedure_id) -> HttpResponse:
    plan, procedure = _procedure(request, plan_id, procedure_id)
    dentists = selectors.practice_dentists(practice=request.practice)
    form = CompleteForm(
        request.POST, dentists=dentists, dentist=None, auto_id=f"complete-{procedure.pk}-%s"
    )

    def change(data: dict) -> str:
        services.procedure_complete(
            procedure=procedure,
            request=request,
            completed_on=data["completed_on"],
            dentist=data["dentist"],
            by=request.user,
        )
        done_on = f"{data['completed_on']:%b %-d, %Y}"
        return f"{procedure.procedure_code.code} recorded as done on {done_on}."

    return _attempt(
        request,
        plan,
        form=form,
        key=f"complete-{procedure.pk}",
        change=change,
        option_id=procedure.option_id,
    )
