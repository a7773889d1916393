"""Periodic sweeps and practice settings."""

import datetime

from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from coordinator.models import UserSession
from coordinator.tasks import sweep_expired_sign_in_data


def test_the_sweep_deletes_expired_sessions_and_old_failures(client_for, alice, settings):
    live = client_for(alice).session.session_key
    UserSession.objects.create(
        session_key="expired", session_data="", expire_date=timezone.now() - datetime.timedelta(1)
    )
    now = timezone.now()
    old = AccessAttempt.objects.create(
        username="x@example.com", ip_address="203.0.113.1", user_agent="", failures_since_start=1
    )
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=now - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    )
    recent = AccessAttempt.objects.create(
        username="y@example.com", ip_address="203.0.113.1", user_agent="", failures_since_start=1
    )

    sweep_expired_sign_in_data.apply()

    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live]
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]


def test_every_beat_entry_expires(settings):
    assert settings.CELERY_BEAT_SCHEDULE
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert 0 < entry["options"]["expires"] <= entry["schedule"]


def test_practice_settings_normalize_the_phone(client_for, bob, practice):
    response = client_for(bob).post(
        reverse("practice_settings", args=[practice.slug]),
        {"name": practice.name, "timezone": "UTC", "phone": "(312) 555-0142", "email": ""},
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert (practice.phone, practice.timezone) == ("+13125550142", "UTC")


def test_practice_settings_refuse_a_bad_phone(client_for, bob, practice):
    response = client_for(bob).post(
        reverse("practice_settings", args=[practice.slug]),
        {"name": practice.name, "timezone": practice.timezone, "phone": "not a phone!!"},
    )
    assert response.status_code == 422
    practice.refresh_from_db()
    assert practice.phone == ""
