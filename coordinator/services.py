"""Writes of the core app: staff accounts, second factors and practice settings."""

import segno
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordinator.audit import audit_record
from coordinator.models import Practice, User, UserSession

RECOVERY_CODE_COUNT = 10


@transaction.atomic
def user_deactivate(*, user: User, system_actor: str) -> None:
    """Stop a user at once: no sign-in, and every open session ends now."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    UserSession.objects.filter(user=user).delete()
    audit_record(action="user.deactivated", system_actor=system_actor, obj=user)


def totp_pending_device(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: the same secret until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="Scan with an authenticator app"
    )


@transaction.atomic
def totp_confirm(*, device: TOTPDevice, token: str, request: HttpRequest) -> list[str] | None:
    """Confirm enrollment with a first code; return fresh single-use recovery codes."""
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    static, _ = StaticDevice.objects.get_or_create(user=device.user, name="Recovery codes")
    static.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    audit_record(action="auth.second_factor_enrolled", request=request, obj=device.user)
    return codes


@transaction.atomic
def practice_update_settings(*, practice: Practice, request: HttpRequest, data: dict) -> list[str]:
    changed = [field for field, value in data.items() if getattr(practice, field) != value]
    if changed:
        for field in changed:
            setattr(practice, field, data[field])
        practice.full_clean()
        practice.save()
        audit_record(
            action="practice.settings_changed",
            request=request,
            obj=practice,
            detail={"fields": sorted(changed)},
        )
    return changed
