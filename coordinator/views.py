"""Practice-level pages: choosing a practice, its settings and its audit log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coordinator import services
from coordinator.audit import audit_record
from coordinator.forms import PracticeSettingsForm
from coordinator.models import AuditEvent, Membership
from coordinator.permissions import practice_view
from coordinator.roles import Capability
from patients.models import Patient


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Pick a practice; with only one there is nothing to pick."""
    memberships = list(
        Membership.objects.filter(user=request.user, is_active=True)
        .select_related("practice", "practice__organization")
        .order_by("practice__name")
    )
    if len(memberships) == 1:
        return redirect("practice_home", memberships[0].practice.slug)
    return render(request, "coordinator/home.html", {"memberships": memberships})


@practice_view(Capability.PLANS_VIEW)
def practice_home(request: HttpRequest) -> HttpResponse:
    return redirect("overview:home", request.practice.slug)


@practice_view(Capability.PRACTICE_SETTINGS)
def practice_settings(request: HttpRequest) -> HttpResponse:
    practice = request.practice
    form = PracticeSettingsForm(request.POST or None, initial=_initial(practice))
    if request.method == "POST" and form.is_valid():
        changed = services.practice_update_settings(
            practice=practice, request=request, data=form.cleaned_data
        )
        messages.success(request, "Settings saved." if changed else "Nothing was changed.")
        return redirect("practice_settings", practice.slug)
    status = 422 if request.method == "POST" else 200
    return render(request, "coordinator/practice_settings.html", {"form": form}, status=status)


def _initial(practice) -> dict:
    return {field: getattr(practice, field) for field in PracticeSettingsForm.Meta.fields}


@practice_view(Capability.AUDIT_VIEW)
def practice_audit(request: HttpRequest) -> HttpResponse:
    # The log names patients, so reading it is itself on record.
    audit_record(action="practice.audit_viewed", request=request)
    events = AuditEvent.objects.filter(practice=request.practice).select_related("actor")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    patient_ids = {event.patient_id for event in page if event.patient_id}
    patients = Patient.objects.filter(practice=request.practice).in_bulk(patient_ids)
    rows = [(event, patients.get(event.patient_id)) for event in page]
    return render(request, "coordinator/practice_audit.html", {"page": page, "rows": rows})
