"""A patient's insurance page: coverages in payment order with where their benefits came from,
adding, editing, reordering, ending and removing coverage, and each subscription's history."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coordinator.audit import audit_record
from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from insurance import coverage_selectors as selectors
from insurance import coverage_services as services
from insurance.coverage_forms import (
    CoverageAddForm,
    CoverageEditForm,
    CoverageEndForm,
    HistoryForm,
)
from insurance.engine.values import benefit_year_start
from insurance.models import Coverage
from patients import selectors as patient_selectors
from patients.models import Patient
from plans.forms import apply_service_errors


def patient_for(request: HttpRequest, patient_id) -> Patient:
    patient = patient_selectors.patient_get(practice=request.practice, patient_id=patient_id)
    patient.practice = request.practice
    return patient


def coverage_for(request: HttpRequest, patient_id, coverage_id) -> Coverage:
    """The patient's coverage (404 for anything else), sharing the request's practice."""
    patient = patient_for(request, patient_id)
    coverage = selectors.coverage_get(
        practice=request.practice, patient=patient, coverage_id=coverage_id
    )
    coverage.practice = request.practice
    coverage.patient = patient
    return coverage


def page_url(request: HttpRequest, patient_id) -> str:
    return reverse("coverage:page", args=[request.practice.slug, patient_id])


@practice_view(Capability.INSURANCE_VIEW)
def coverage_page(request: HttpRequest, patient_id) -> HttpResponse:
    patient = patient_for(request, patient_id)
    audit_record(
        action="patient.insurance_viewed", request=request, obj=patient, patient_id=patient.pk
    )
    today = timezone.localdate()
    return render(
        request,
        "insurance/coverage_page.html",
        {
            "patient": patient,
            "page": selectors.patient_insurance(
                practice=request.practice, patient=patient, today=today
            ),
            "can_edit": can(request, Capability.INSURANCE_EDIT),
            "today": today,
        },
    )


@practice_view(Capability.INSURANCE_EDIT)
def coverage_add(request: HttpRequest, patient_id) -> HttpResponse:
    patient = patient_for(request, patient_id)
    source = request.POST if request.method == "POST" else request.GET
    plan_query = source.get("plan_q", "")[:100]
    subscriber_query = source.get("subscriber_q", "")[:100]
    form = CoverageAddForm(
        request.POST or None,
        practice=request.practice,
        patient=patient,
        plan_query=plan_query,
        subscriber_query=subscriber_query,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.coverage_add(
                patient=patient,
                request=request,
                group_plan=data["group_plan"],
                subscriber=data["subscriber"],
                relationship=data["relationship"],
                member_id=data["member_id"],
                effective_date=data["effective_date"],
                today=timezone.localdate(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The coverage was added to {patient.full_name}.")
            return redirect(page_url(request, patient.pk))
    template = "insurance/coverage_add.html"
    if request.htmx and request.htmx.target in ("plan-choices", "subscriber-choices"):
        template += f"#{request.htmx.target.replace('-', '_')}"
    return render(
        request,
        template,
        {
            "patient": patient,
            "form": form,
            "plan_query": plan_query,
            "subscriber_query": subscriber_query,
        },
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_EDIT)
def coverage_edit(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    form = CoverageEditForm(request.POST or None, coverage=coverage)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.coverage_update(
                coverage=coverage, request=request, data=form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            coverage = coverage_for(request, patient_id, coverage_id)
        else:
            messages.success(request, "The coverage was saved." if changed else "Nothing changed.")
            return redirect(page_url(request, patient_id))
    return render(
        request,
        "insurance/coverage_edit.html",
        {
            "patient": coverage.patient,
            "coverage": coverage,
            "form": form,
            "family": [
                p
                for p in selectors.subscription_patients(coverage=coverage)
                if p.pk != coverage.patient_id
            ],
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@practice_view(Capability.INSURANCE_EDIT)
def coverage_make_primary(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    try:
        moved = services.coverage_make_primary(
            coverage=coverage, request=request, today=timezone.localdate()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        carrier = coverage.subscription.group_plan.carrier.name
        messages.success(
            request, f"{carrier} pays first now." if moved else f"{carrier} already pays first."
        )
    return redirect(page_url(request, patient_id))


@practice_view(Capability.INSURANCE_EDIT)
def coverage_end(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    today = timezone.localdate()
    form = CoverageEndForm(request.POST or None, coverage=coverage, today=today)
    if request.method == "POST" and form.is_valid():
        ended_on = form.cleaned_data["ended_on"]
        try:
            changed = services.coverage_end(
                coverage=coverage, request=request, ended_on=ended_on, today=today
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            coverage = coverage_for(request, patient_id, coverage_id)
        else:
            if not changed:
                messages.success(request, "Nothing changed.")
            elif ended_on:
                messages.success(request, f"The coverage ends on {ended_on:%m/%d/%Y}.")
            else:
                messages.success(request, "The coverage is in force again.")
            return redirect(page_url(request, patient_id))
    return render(
        request,
        "insurance/coverage_end.html",
        {
            "patient": coverage.patient,
            "coverage": coverage,
            "form": form,
            "family": [
                p
                for p in selectors.subscription_patients(coverage=coverage)
                if p.pk != coverage.patient_id
            ],
        },
        status=422 if request.method == "POST" else 200,
    )


@require_POST
@practice_view(Capability.INSURANCE_EDIT)
def coverage_remove(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    try:
        services.coverage_remove(coverage=coverage, request=request, today=timezone.localdate())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The coverage was removed.")
    return redirect(page_url(request, patient_id))


# --- History -------------------------------------------------------------------------------------


@practice_view(Capability.INSURANCE_VIEW)
def coverage_history(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    """The subscription's usage, the whole family's, newest first and by benefit year."""
    coverage = coverage_for(request, patient_id, coverage_id)
    audit_record(
        action="patient.insurance_history_viewed",
        request=request,
        obj=coverage,
        patient_id=coverage.patient_id,
    )
    family = selectors.subscription_patients(coverage=coverage)
    form = HistoryForm(patients=family) if can(request, Capability.INSURANCE_EDIT) else None
    return _history_page(request, coverage, family, form)


@require_POST
@practice_view(Capability.INSURANCE_EDIT)
def history_add(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    family = selectors.subscription_patients(coverage=coverage)
    form = HistoryForm(request.POST, patients=family)
    if form.is_valid():
        try:
            services.history_add(coverage=coverage, request=request, data=form.history_data())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The entry was added.")
            return redirect("coverage:history", request.practice.slug, patient_id, coverage_id)
    return _history_page(request, coverage, family, form, status=422)


def _history_page(request, coverage, family, form, status: int = 200) -> HttpResponse:
    renewal = coverage.subscription.group_plan.renewal_month
    page = Paginator(
        selectors.subscription_history(coverage=coverage), selectors.HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    years: list[tuple] = []
    for entry in page:
        start = benefit_year_start(entry.service_date, renewal)
        if not years or years[-1][0] != start:
            years.append((start, []))
        years[-1][1].append(entry)
    return render(
        request,
        "insurance/coverage_history.html",
        {
            "patient": coverage.patient,
            "coverage": coverage,
            "page": page,
            "years": years,
            "this_year": benefit_year_start(timezone.localdate(), renewal),
            "form": form,
            "can_edit": form is not None,
            "family": family,
        },
        status=status,
    )


@require_POST
@practice_view(Capability.INSURANCE_EDIT)
def history_delete(request: HttpRequest, patient_id, coverage_id, entry_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    entry = selectors.history_entry_get(coverage=coverage, entry_id=entry_id)
    services.history_delete(entry=entry, request=request)
    messages.success(request, "The entry was removed.")
    return redirect("coverage:history", request.practice.slug, patient_id, coverage_id)
