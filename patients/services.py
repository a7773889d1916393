"""Writes to patient records. Each one is atomic and leaves an audit event (field names only)."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from coordinator.audit import audit_record
from coordinator.models import Practice
from patients.models import Patient

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "birth_date",
    "email",
    "phone",
    "preferred_contact",
    "best_time",
    "email_consent",
    "sms_consent",
)


def _apply(patient: Patient, data: dict, unencrypted_email_consent: bool) -> list[str]:
    """Copy the given values onto the patient; return the names of fields that changed."""
    changed = []
    for field in EDITABLE_FIELDS:
        if field in data and getattr(patient, field) != data[field]:
            setattr(patient, field, data[field])
            changed.append(field)
    if unencrypted_email_consent != patient.unencrypted_email_consent:
        patient.unencrypted_email_consent_at = timezone.now() if unencrypted_email_consent else None
        changed.append("unencrypted_email_consent")
    return changed


@transaction.atomic
def patient_create(
    *, practice: Practice, request: HttpRequest, data: dict, unencrypted_email_consent: bool = False
) -> Patient:
    patient = Patient(practice=practice)
    fields = _apply(patient, data, unencrypted_email_consent)
    patient.full_clean()
    patient.save()
    audit_record(
        action="patient.created",
        request=request,
        obj=patient,
        patient_id=patient.pk,
        detail={"fields": sorted(fields)},
    )
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, request: HttpRequest, data: dict, unencrypted_email_consent: bool
) -> list[str]:
    changed = _apply(patient, data, unencrypted_email_consent)
    if changed:
        patient.full_clean()
        patient.save()
        audit_record(
            action="patient.updated",
            request=request,
            obj=patient,
            patient_id=patient.pk,
            detail={"fields": sorted(changed)},
        )
    return changed


@transaction.atomic
def patient_archive(*, patient: Patient, request: HttpRequest) -> None:
    if patient.archived_at is None:
        patient.archived_at = timezone.now()
        patient.save(update_fields=["archived_at", "updated_at"])
        audit_record(action="patient.archived", request=request, obj=patient, patient_id=patient.pk)


@transaction.atomic
def patient_restore(*, patient: Patient, request: HttpRequest) -> None:
    if patient.archived_at is not None:
        patient.archived_at = None
        patient.save(update_fields=["archived_at", "updated_at"])
        audit_record(action="patient.restored", request=request, obj=patient, patient_id=patient.pk)
