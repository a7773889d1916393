"""Reads of patients, always within one practice."""

import re
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from coordinator.models import AuditEvent, Practice
from patients.models import Patient

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%m.%d.%Y")
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-]+$")


def parse_birth_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 a calendar date, no time
        except ValueError:
            continue
    return None


def patient_search_filter(query: str) -> Q:
    """Match what staff typed: a few letters of a name, a phone number, an email, a birth date."""
    # PostgreSQL text cannot hold NUL; a pasted one must not turn a search into a server error.
    text = query.replace("\x00", "").strip()
    if not text:
        return Q()
    birth_date = parse_birth_date(text)
    if birth_date:
        return Q(birth_date=birth_date)
    if "@" in text:
        return Q(email__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3 and _PHONE_CHARS.match(text):
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]  # a US number typed with its country code
        return Q(phone__contains=digits)
    condition = Q()
    for term in re.split(r"[\s,]+", text):
        if term:
            # The start of an email ("maria.gom") finds the patient as well as a name does.
            condition &= (
                Q(last_name__istartswith=term)
                | Q(first_name__istartswith=term)
                | Q(preferred_name__istartswith=term)
                | Q(email__istartswith=term)
            )
    return condition


def patient_list(
    *, practice: Practice, query: str = "", archived: bool = False
) -> QuerySet[Patient]:
    return (
        Patient.objects.filter(practice=practice, archived_at__isnull=not archived)
        .filter(patient_search_filter(query))
        .order_by("last_name", "first_name", "id")
    )


def patient_get(*, practice: Practice, patient_id) -> Patient:
    """The practice's patient, archived or not; 404 for anything else."""
    return get_object_or_404(Patient, practice=practice, pk=patient_id)


def patient_possible_duplicates(
    *, practice: Practice, first_name: str, last_name: str, birth_date: date | None, exclude=None
) -> QuerySet[Patient]:
    """Other patients with the same name and birth date (archived ones included)."""
    if birth_date is None:
        return Patient.objects.none()
    duplicates = Patient.objects.filter(
        practice=practice,
        first_name__iexact=first_name.strip(),
        last_name__iexact=last_name.strip(),
        birth_date=birth_date,
    )
    if exclude is not None:
        duplicates = duplicates.exclude(pk=exclude.pk)
    return duplicates


def patient_access_history(*, practice: Practice, patient: Patient) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(practice=practice, patient_id=patient.pk).select_related(
        "actor"
    )
