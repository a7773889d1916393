"""Patient pages: find, open, create, edit, archive, access history and export."""

import csv

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from coordinator.audit import audit_record, audit_record_patients
from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from insurance import coverage_selectors
from patients import selectors, services
from patients.forms import PatientForm
from plans import overview_selectors

PAGE_SIZE = 25


@practice_view(Capability.PATIENTS_VIEW)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    archived = request.GET.get("archived") == "1"
    patients = selectors.patient_list(practice=request.practice, query=query, archived=archived)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_record(
        action="patients.listed",
        request=request,
        detail={"searched": bool(query.strip()), "archived": archived, "shown": len(page)},
    )
    template = "patients/patient_list.html"
    if request.htmx and request.htmx.target == "patient-results":
        template += "#results"
    return render(request, template, {"page": page, "query": query, "archived": archived})


@practice_view(Capability.PATIENTS_VIEW)
def patient_detail(request: HttpRequest, patient_id) -> HttpResponse:
    patient = selectors.patient_get(practice=request.practice, patient_id=patient_id)
    audit_record(action="patient.viewed", request=request, obj=patient, patient_id=patient.pk)
    plans, timeline = [], []
    if can(request, Capability.PLANS_VIEW):
        plans = list(overview_selectors.patient_plans(practice=request.practice, patient=patient))
        timeline = overview_selectors.patient_timeline(
            practice=request.practice, patient=patient, plans=plans
        )
    coverages = []
    if can(request, Capability.INSURANCE_VIEW):
        coverages = coverage_selectors.patient_coverage_summary(
            practice=request.practice, patient=patient
        )
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "plans": plans,
            "timeline": timeline,
            "coverages": coverages,
            "today": timezone.localdate(),
        },
    )


def _duplicates(request: HttpRequest, form: PatientForm, patient=None):
    if form.cleaned_data.get("confirm_not_duplicate"):
        return []
    return list(
        selectors.patient_possible_duplicates(
            practice=request.practice,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            birth_date=form.cleaned_data["birth_date"],
            exclude=patient,
        )[:5]
    )


def _render_form(request: HttpRequest, form: PatientForm, duplicates, patient) -> HttpResponse:
    form.offer_duplicate_confirmation(bool(duplicates))
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "duplicates": duplicates, "patient": patient},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.PATIENTS_EDIT)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates(request, form)
        if not duplicates:
            patient = services.patient_create(
                practice=request.practice,
                request=request,
                data=form.patient_data(),
                unencrypted_email_consent=form.cleaned_data["unencrypted_email_consent"],
            )
            messages.success(request, f"{patient.full_name} was added.")
            return redirect("patients:detail", request.practice.slug, patient.pk)
    return _render_form(request, form, duplicates, patient=None)


@practice_view(Capability.PATIENTS_EDIT)
def patient_edit(request: HttpRequest, patient_id) -> HttpResponse:
    patient = selectors.patient_get(practice=request.practice, patient_id=patient_id)
    form = PatientForm(request.POST or None, patient=patient)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates(request, form, patient)
        if not duplicates:
            changed = services.patient_update(
                patient=patient,
                request=request,
                data=form.patient_data(),
                unencrypted_email_consent=form.cleaned_data["unencrypted_email_consent"],
            )
            messages.success(request, "Changes saved." if changed else "Nothing was changed.")
            return redirect("patients:detail", request.practice.slug, patient.pk)
    else:
        audit_record(action="patient.viewed", request=request, obj=patient, patient_id=patient.pk)
    return _render_form(request, form, duplicates, patient=patient)


@require_POST
@practice_view(Capability.PATIENTS_EDIT)
def patient_archive(request: HttpRequest, patient_id) -> HttpResponse:
    patient = selectors.patient_get(practice=request.practice, patient_id=patient_id)
    services.patient_archive(patient=patient, request=request)
    messages.success(request, f"{patient.full_name} was archived: hidden from lists, not deleted.")
    return redirect("patients:detail", request.practice.slug, patient.pk)


@require_POST
@practice_view(Capability.PATIENTS_EDIT)
def patient_restore(request: HttpRequest, patient_id) -> HttpResponse:
    patient = selectors.patient_get(practice=request.practice, patient_id=patient_id)
    services.patient_restore(patient=patient, request=request)
    messages.success(request, f"{patient.full_name} is back on the patient list.")
    return redirect("patients:detail", request.practice.slug, patient.pk)


@practice_view(Capability.AUDIT_VIEW)
def patient_access_history(request: HttpRequest, patient_id) -> HttpResponse:
    patient = selectors.patient_get(practice=request.practice, patient_id=patient_id)
    # Recorded before the page is read: between its count and its rows it would push one out.
    audit_record(
        action="patient.access_history_viewed", request=request, obj=patient, patient_id=patient.pk
    )
    events = selectors.patient_access_history(practice=request.practice, patient=patient)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request, "patients/patient_access_history.html", {"patient": patient, "page": page}
    )


# Typed text that a spreadsheet would run as a formula when the export is opened.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


@practice_view(Capability.PATIENTS_EXPORT)
def patient_export(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    patients = selectors.patient_list(practice=request.practice, query=query)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="{request.practice.slug}-patients-{stamp}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "id",
            "first_name",
            "last_name",
            "birth_date",
            "email",
            "phone",
            "preferred_contact",
            "email_consent",
            "sms_consent",
            "unencrypted_email_consent",
        ]
    )
    exported = []
    for patient in patients.iterator(chunk_size=2000):
        writer.writerow(
            [
                patient.pk,
                _cell(patient.first_name),
                _cell(patient.last_name),
                patient.birth_date or "",
                _cell(patient.email),
                patient.phone,
                patient.preferred_contact,
                patient.email_consent,
                patient.sms_consent,
                patient.unencrypted_email_consent,
            ]
        )
        exported.append(patient.pk)
    audit_record(
        action="patients.exported",
        request=request,
        detail={"rows": len(exported), "searched": bool(query.strip())},
    )
    audit_record_patients(action="patient.exported", request=request, patient_ids=exported)
    return response
