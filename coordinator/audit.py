"""Writing the append-only audit trail: who did what, to which record, from where."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

from coordinator.models import AuditEvent, Practice


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: behind N trusted proxies, the N-th from the right of X-Forwarded-For.

    Entries further left were written by the client and cannot be trusted.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [address for address in forwarded if address]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR") or None


def _event(
    *,
    action: str,
    request: HttpRequest | None,
    practice: Practice | None,
    system_actor: str,
    obj,
    patient_id,
    detail: dict | None,
) -> AuditEvent:
    actor = None
    ip_address = None
    user_agent = ""
    if request is not None:
        if request.user.is_authenticated:
            actor = request.user
        ip_address = client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        practice = practice or getattr(request, "practice", None)
    if actor is None and not system_actor:
        system_actor = "anonymous"
    return AuditEvent(
        action=action,
        practice=practice,
        actor=actor,
        system_actor=system_actor,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        ip_address=ip_address,
        user_agent=user_agent,
        detail=detail or {},
    )


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    practice: Practice | None = None,
    system_actor: str = "",
    obj=None,
    patient_id=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event. A request supplies the actor and address; commands pass `system_actor`."""
    event = _event(
        action=action,
        request=request,
        practice=practice,
        system_actor=system_actor,
        obj=obj,
        patient_id=patient_id,
        detail=detail,
    )
    event.save()
    return event


def audit_record_patients(
    *, action: str, request: HttpRequest, patient_ids: list, detail: dict | None = None
) -> None:
    """One event per patient, so each patient's access history shows e.g. an export of them."""
    AuditEvent.objects.bulk_create(
        (
            _event(
                action=action,
                request=request,
                practice=None,
                system_actor="",
                obj=None,
                patient_id=patient_id,
                detail=detail,
            )
            for patient_id in patient_ids
        ),
        batch_size=2000,
    )
