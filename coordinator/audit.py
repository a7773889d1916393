"""Writing the append-only audit trail: who did what, to which record, from where."""

from django.http import HttpRequest

from coordinator.models import AuditEvent, Practice


def client_ip(request: HttpRequest) -> str | None:
    # Axes already resolved the address (honouring the configured proxy count).
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


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
    return AuditEvent.objects.create(
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
