"""Background work of the core app. Tasks take ids, re-fetch and call plain functions."""

from axes.models import AccessAttempt
from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from coordinator.models import User, UserSession


# The soft limit must stay below the hard one: the app-wide 90 s soft limit is above 60 s.
# Celery's default backoff cap is 10 minutes; retries here wait at most 5 (checklist 19).
@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def send_password_reset_email(user_id: str, domain: str, use_https: bool) -> bool:
    """Email a password-reset link; a retry is safe (a second link is as good as the first)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context = {
        "user": user,
        "domain": domain,
        "protocol": "https" if use_https else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = render_to_string("registration/password_reset_subject.txt", context).strip()
    body = render_to_string("registration/password_reset_email.txt", context)
    send_mail(subject, body, None, [user.email])
    return True


@shared_task(time_limit=300, soft_time_limit=240)
def sweep_expired_sign_in_data() -> None:
    """Delete expired sessions and sign-in failures older than the lockout cool-off."""
    UserSession.objects.filter(expire_date__lt=timezone.now()).delete()
    AccessAttempt.objects.filter(
        attempt_time__lt=timezone.now() - settings.AXES_COOLOFF_TIME
    ).delete()
