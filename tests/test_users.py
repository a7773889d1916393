"""One account per person (unique email), accountable audit rows, and deactivation."""

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.test import Client
from django_scopes import scopes_disabled

from coordinator import services
from coordinator.models import AuditEvent, User, UserSession

PATIENTS = "/p/smile-north/patients/"


def test_emails_are_stored_in_lower_case(db):
    user = User.objects.create_user("Grace.Hopper@Smile.Example", "x" * 16, name="Grace")

    user.refresh_from_db()
    assert user.email == "grace.hopper@smile.example"


def test_two_accounts_cannot_share_an_email(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(alice.email, None, name="Second Alice")


def test_an_email_differing_only_in_case_is_the_same_account(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(alice.email.upper(), None, name="Shouting Alice")


def test_an_audit_event_without_a_person_or_system_actor_is_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic(), scopes_disabled():
        AuditEvent.objects.create(action="patient.viewed")


def test_an_audit_event_by_a_system_actor_is_kept(db):
    with scopes_disabled():
        event = AuditEvent.objects.create(action="reminders.sent", system_actor="celery:reminders")

    assert event.pk is not None


def test_deactivating_a_user_ends_every_session_at_once(alice, login_with_password):
    laptop, phone = Client(), Client()
    login_with_password(laptop, alice.email)
    login_with_password(phone, alice.email)
    keys = [c.cookies[settings.SESSION_COOKIE_NAME].value for c in (laptop, phone)]
    assert UserSession.objects.filter(session_key__in=keys, user=alice).count() == 2

    services.user_deactivate(user=alice, system_actor="command:deactivate_user")

    assert not UserSession.objects.filter(user=alice).exists()
    for device in (laptop, phone):
        response = device.get(PATIENTS)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    assert login_with_password(Client(), alice.email).status_code == 200
    with scopes_disabled():
        event = AuditEvent.objects.get(action="user.deactivated")
    assert event.system_actor == "command:deactivate_user"
    assert event.object_id == str(alice.pk)
