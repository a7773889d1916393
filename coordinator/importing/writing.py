"""Writing a validated import plan: create what is new, update what changed, touch nothing else.

Records are matched by their `ref` within the practice (procedure codes by code), so a second
import of the same file writes no rows and no audit events. Audit events carry field names and
counts, never values. The treatment sections are written by plan_writing.py.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from coordinator.importing.plan_writing import write_treatment
from coordinator.importing.validation import (
    ImportPlan,
    PatientData,
    PracticeData,
    ProcedureCodeData,
    StaffData,
)
from coordinator.models import AuditEvent, Membership, Organization, Practice, User
from patients.models import Patient
from plans.catalog import category_for_code
from plans.models import ProcedureCode
from plans.teeth import site_for_code

SYSTEM_ACTOR = "command:import_practice"
BATCH_SIZE = 1000

# File fields that are stored as a time stamp: true sets it to now, false clears it.
_PATIENT_FLAGS = {
    "unencrypted_email_consent": "unencrypted_email_consent_at",
    "archived": "archived_at",
}


@dataclass
class ImportResult:
    practice: Practice
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    practice_fields: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.practice_fields or +self.created or +self.updated)


@transaction.atomic
def apply(plan: ImportPlan, *, system_actor: str = SYSTEM_ACTOR) -> ImportResult:
    """Write the plan in one transaction; returns what was created and updated."""
    practice, practice_fields, created = _write_practice(plan.practice)
    result = ImportResult(practice=practice, practice_fields=practice_fields)
    result.created["practice"] = int(created)
    events: list[AuditEvent] = []

    def record(action: str, obj, detail: dict, patient_id=None) -> None:
        events.append(
            AuditEvent(
                action=action,
                practice=practice,
                system_actor=system_actor,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                patient_id=patient_id,
                detail=detail,
            )
        )

    with scope(practice=practice):
        _write_staff(practice, plan.staff, result, record)
        _write_procedure_codes(practice, plan.procedure_codes, result)
        _write_patients(practice, plan.patients, result, record)
        write_treatment(practice, plan, result, record)
        if result.changed:
            summary = {
                "records": {
                    key.replace(" ", "_").replace("-", "_"): n for key, n in plan.counts().items()
                },
                "created": dict(+result.created),
                "updated": dict(+result.updated),
                "practice_fields": practice_fields,
            }
            record("practice.imported", practice, summary)
            AuditEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    return result


def _write_practice(data: PracticeData) -> tuple[Practice, list[str], bool]:
    """The practice (created if its slug is new), the names of changed fields, and whether new."""
    wanted = {"name": data.name, "timezone": data.timezone, **data.contact}
    changed = []
    if data.organization is not None:
        organization, created = Organization.objects.get_or_create(
            slug=data.organization.slug, defaults={"name": data.organization.name}
        )
        if not created and organization.name != data.organization.name:
            organization.name = data.organization.name
            organization.save(update_fields=["name"])
            changed.append("organization_name")
        wanted["organization_id"] = organization.pk
    practice = Practice.objects.filter(slug=data.slug).first()
    if practice is None:
        practice = Practice.objects.create(slug=data.slug, **wanted)
        return practice, sorted(_field_name(key) for key in wanted), True
    for key, value in wanted.items():
        if getattr(practice, key) != value:
            setattr(practice, key, value)
            changed.append(_field_name(key))
    model_fields = [key for key in wanted if _field_name(key) in changed]
    if model_fields:
        practice.save(update_fields=model_fields)
    return practice, sorted(changed), False


def _field_name(key: str) -> str:
    return key.removesuffix("_id")


def _write_staff(practice: Practice, staff: list[StaffData], result: ImportResult, record) -> None:
    by_ref = {
        m.ref: m
        for m in Membership.objects.filter(practice=practice).exclude(ref="").select_related("user")
    }
    for data in staff:
        changed = []
        membership = by_ref.get(data.ref)
        if membership is None:
            user = User.objects.filter(email=data.email).first()
            if user is None:
                # No usable password: new staff choose their own through password reset.
                user = User.objects.create_user(data.email, None, name=data.name)
            membership = Membership.objects.filter(practice=practice, user=user).first()
            if membership is None:
                membership = Membership.objects.create(
                    practice=practice, user=user, role=data.role, ref=data.ref
                )
                result.created["staff"] += 1
                record("staff.imported", membership, {"fields": ["ref", "role"], "created": True})
                continue
            # Someone added in the app before the import: adopt them under the file's ref.
            membership.ref = data.ref
            changed.append("ref")
        if membership.role != data.role:
            membership.role = data.role
            changed.append("role")
        if changed:
            membership.save(update_fields=changed)
        user = membership.user
        # One account across practices: only a practice the person works at alone renames them.
        if user.name != data.name and not user.memberships.exclude(practice=practice).exists():
            user.name = data.name
            user.save(update_fields=["name"])
            changed.append("name")
        if changed:
            result.updated["staff"] += 1
            record("staff.imported", membership, {"fields": sorted(changed), "created": False})


def _write_procedure_codes(
    practice: Practice, codes: list[ProcedureCodeData], result: ImportResult
) -> None:
    existing = {c.code: c for c in ProcedureCode.objects.filter(practice=practice)}
    new, updated, updated_fields = [], [], set()
    for data in codes:
        entry = existing.get(data.code)
        if entry is None:
            new.append(
                ProcedureCode(
                    practice=practice,
                    code=data.code,
                    category=data.category or category_for_code(data.code),
                    description=data.description,
                    fee=data.fee,
                    minutes=data.minutes or 30,
                    site=site_for_code(data.code),
                )
            )
            continue
        wanted = {"description": data.description, "fee": data.fee}
        if data.category is not None:
            wanted["category"] = data.category
        if data.minutes is not None:
            wanted["minutes"] = data.minutes
        changed = [key for key, value in wanted.items() if getattr(entry, key) != value]
        if changed:
            for key in changed:
                setattr(entry, key, wanted[key])
            updated.append(entry)
            updated_fields.update(changed)
    ProcedureCode.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if updated:
        ProcedureCode.objects.bulk_update(updated, sorted(updated_fields), batch_size=BATCH_SIZE)
    result.created["procedure_codes"] += len(new)
    result.updated["procedure_codes"] += len(updated)


def _write_patients(
    practice: Practice, patients: list[PatientData], result: ImportResult, record
) -> None:
    existing = {p.ref: p for p in Patient.objects.filter(practice=practice).exclude(ref="")}
    now = timezone.now()
    new, updated, updated_fields = [], [], set()
    for data in patients:
        patient = existing.get(data.ref)
        is_new = patient is None
        if is_new:
            patient = Patient(practice=practice, ref=data.ref)
        changed = _patient_changes(patient, data.values, now)
        if is_new:
            new.append(patient)
        elif changed:
            patient.updated_at = now
            updated.append(patient)
            updated_fields.update(_PATIENT_FLAGS.get(name, name) for name in changed)
        if is_new or changed:
            record(
                "patient.imported",
                patient,
                {"fields": sorted(changed), "created": is_new},
                patient_id=patient.pk,
            )
    Patient.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if updated:
        fields = sorted(updated_fields | {"updated_at"})
        Patient.objects.bulk_update(updated, fields, batch_size=BATCH_SIZE)
    result.created["patients"] += len(new)
    result.updated["patients"] += len(updated)


def _patient_changes(patient: Patient, values: dict, now) -> list[str]:
    """Copy the file's values onto the patient; the names (file fields) of those that differ."""
    changed = []
    for name, value in values.items():
        if name in _PATIENT_FLAGS:
            attribute = _PATIENT_FLAGS[name]
            if (getattr(patient, attribute) is not None) != value:
                setattr(patient, attribute, now if value else None)
                changed.append(name)
        elif getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    return changed
