"""Verifying a coverage with the payer: make the 270 (sent by the configured clearinghouse
transport, or downloaded as a file), import the 271 (upload, preview, apply all or nothing),
record a phone call, and read a check.

The import follows the fee import (insurance/views/fees.py): the upload keeps the 271's text in
the session under a random token and shows what it would change; confirming works it out again
against the rows as they are then. Nothing in the confirm form carries values.
"""

import re
import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coordinator.audit import audit_record
from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from insurance import clearinghouse, verification
from insurance import coverage_selectors as selectors
from insurance.coverage_forms import PhoneCheckForm, ResponseUploadForm
from insurance.models import EligibilityCheck
from insurance.views.coverage import coverage_for, page_url
from insurance.x12 import X12Error
from plans.forms import apply_service_errors

IMPORT_SESSION_KEY = "insurance_eligibility_import"


def _x12_file(request: HttpRequest, check: EligibilityCheck) -> HttpResponse:
    """The check's 270 as a file to hand to the clearinghouse; the download is on record."""
    audit_record(
        action="insurance.eligibility_270_downloaded",
        request=request,
        obj=check,
        patient_id=check.coverage.patient_id,
    )
    response = HttpResponse(check.request_270, content_type="text/plain; charset=utf-8")
    name = f"eligibility-270-{check.checked_on:%Y-%m-%d}-{check.trace_number or 'request'}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _start_import(request: HttpRequest, coverage, text: str, name: str) -> HttpResponse:
    token = secrets.token_urlsafe(16)
    # One import in progress per session: a new upload replaces an unconfirmed one.
    request.session[IMPORT_SESSION_KEY] = {
        "token": token,
        "practice": str(request.practice.pk),
        "coverage": str(coverage.pk),
        "text": text,
        "name": name,
    }
    preview = reverse(
        "coverage:import_271_preview",
        args=[request.practice.slug, coverage.patient_id, coverage.pk],
    )
    return redirect(f"{preview}?{urlencode({'token': token})}")


@require_POST
@practice_view(Capability.INSURANCE_EDIT)
def request_270(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    """Make the 270 and hand it to the transport: a file to download, or at once the answer's
    preview when the clearinghouse answers in real time."""
    coverage = coverage_for(request, patient_id, coverage_id)
    try:
        check = verification.eligibility_request(coverage=coverage, request=request)
    except verification.VerificationRefused as refusal:
        for problem in refusal.problems:
            messages.error(request, problem)
        return redirect(page_url(request, patient_id))
    check.coverage = coverage
    try:
        answer = clearinghouse.transport().submit(check.request_270)
    except clearinghouse.TransportError as error:
        messages.error(
            request, f"The clearinghouse did not take the request: {error} The 270 is on record."
        )
        return redirect(page_url(request, patient_id))
    if answer is None:
        return _x12_file(request, check)
    return _start_import(request, coverage, answer, "clearinghouse answer")


@practice_view(Capability.INSURANCE_EDIT)
def check_270(request: HttpRequest, patient_id, coverage_id, check_id) -> HttpResponse:
    """Download an earlier check's 270 again."""
    coverage = coverage_for(request, patient_id, coverage_id)
    check = selectors.check_get(coverage=coverage, check_id=check_id)
    if not check.request_270:
        raise Http404("This check has no 270.")
    check.coverage = coverage
    return _x12_file(request, check)


@practice_view(Capability.INSURANCE_EDIT)
def import_271(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    """Step 1: the 271 is read; one that cannot be read is refused, naming the segment."""
    coverage = coverage_for(request, patient_id, coverage_id)
    form = ResponseUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["content"]
        try:
            verification.read_271(coverage=coverage, text=text)
            verification.response_date(text)
        except X12Error as error:
            form.add_error(None, f"This is not an eligibility answer (271) we can read: {error}.")
        else:
            return _start_import(request, coverage, text, form.cleaned_data["name"])
    return render(
        request,
        "insurance/verification_import.html",
        {"patient": coverage.patient, "coverage": coverage, "form": form},
        status=422 if request.method == "POST" else 200,
    )


def _stored_import(request: HttpRequest, token: str, coverage) -> dict | None:
    stored = request.session.get(IMPORT_SESSION_KEY)
    if (
        not token
        or not isinstance(stored, dict)
        or stored.get("practice") != str(request.practice.pk)
        or stored.get("coverage") != str(coverage.pk)
        or not secrets.compare_digest(str(stored.get("token", "")).encode(), token.encode())
    ):
        return None
    return stored


@practice_view(Capability.INSURANCE_EDIT)
def import_271_preview(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    """Step 2: what the answer would change; confirming (POST) applies it all or not at all."""
    coverage = coverage_for(request, patient_id, coverage_id)
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")
    stored = _stored_import(request, token, coverage)
    if stored is None:
        messages.error(request, "That import is no longer open. Upload the 271 again.")
        return redirect("coverage:import_271", request.practice.slug, patient_id, coverage_id)
    try:
        if request.method == "POST":
            check, preview = verification.eligibility_import(
                coverage=coverage, request=request, text=stored["text"]
            )
        else:
            preview = verification.import_preview(coverage=coverage, text=stored["text"])
    except X12Error as error:  # the stored text was read once; this is only a guard
        del request.session[IMPORT_SESSION_KEY]
        messages.error(request, f"The 271 cannot be read: {error}.")
        return redirect("coverage:import_271", request.practice.slug, patient_id, coverage_id)
    if request.method == "POST":
        del request.session[IMPORT_SESSION_KEY]
        if check.active:
            messages.success(
                request,
                f"The eligibility answer of {check.checked_on:%m/%d/%Y} was imported: "
                f"{check.summary['applied']['benefits_added']} benefit rows, "
                f"{check.summary['applied']['history_added']} history entries.",
            )
        else:
            messages.warning(
                request,
                "The answer says the coverage is not active: the check is recorded, nothing "
                "else was changed.",
            )
        return redirect(page_url(request, patient_id))
    return render(
        request,
        "insurance/verification_preview.html",
        {
            "patient": coverage.patient,
            "coverage": coverage,
            "preview": preview,
            "response": preview.response,
            "token": token,
            "name": stored["name"],
        },
    )


@practice_view(Capability.INSURANCE_EDIT)
def phone_check(request: HttpRequest, patient_id, coverage_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    form = PhoneCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification.phone_check_record(
                coverage=coverage,
                request=request,
                answers=verification.PhoneAnswers(**form.cleaned_data),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "The call was recorded.")
            return redirect(page_url(request, patient_id))
    return render(
        request,
        "insurance/verification_phone.html",
        {"patient": coverage.patient, "coverage": coverage, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_VIEW)
def check_detail(request: HttpRequest, patient_id, coverage_id, check_id) -> HttpResponse:
    coverage = coverage_for(request, patient_id, coverage_id)
    check = selectors.check_get(coverage=coverage, check_id=check_id)
    audit_record(
        action="patient.eligibility_check_viewed",
        request=request,
        obj=check,
        patient_id=coverage.patient_id,
    )
    return render(
        request,
        "insurance/verification_check.html",
        {
            "patient": coverage.patient,
            "coverage": coverage,
            "check": check,
            "summary": check.summary,
            "request_text": _one_segment_a_line(check.request_270),
            "response_text": _one_segment_a_line(check.response_271),
            "can_edit": can(request, Capability.INSURANCE_EDIT),
            "today": timezone.localdate(),
        },
    )


def _one_segment_a_line(text: str) -> str:
    return re.sub(r"~\s*", "~\n", text)
