"""Password reset by email, which is also how imported staff set their first password."""

import re

import pytest
from django.core import mail
from django.test import Client

from coordinator.models import User
from tests.factories import MembershipFactory

RESET = "/accounts/password-reset/"
PATIENTS = "/p/smile-north/patients/"
NEW_PASSWORD = "seven-lanterns-over-the-harbour"


@pytest.fixture
def imported(practice):
    """Staff created by the practice import: no usable password yet."""
    user = User.objects.create_user("ivy.import@smile.example", None, name="Ivy Imported")
    MembershipFactory(user=user, practice=practice, role="coordinator")
    assert not user.has_usable_password()
    return user


def _request_reset(client: Client, email: str, capture):
    with capture(execute=True) as callbacks:
        response = client.post(RESET, {"email": email}, follow=True)
    return response, callbacks


def _link(message) -> str:
    match = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_imported_staff_receive_a_link_to_set_a_password(
    client, imported, django_capture_on_commit_callbacks
):
    response, callbacks = _request_reset(
        client, "Ivy.Import@Smile.Example", django_capture_on_commit_callbacks
    )

    assert "Check your email" in response.text
    assert len(callbacks) == 1  # queued on commit, sent by the Celery task
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [imported.email]
    assert message.subject == "Set your Coordinator password"
    assert _link(message)


def test_the_email_is_queued_only_when_the_request_commits(
    client, imported, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(RESET, {"email": imported.email})

    assert len(callbacks) == 1
    assert mail.outbox == []


def test_an_unknown_email_gets_the_same_page_and_no_mail(
    client, imported, django_capture_on_commit_callbacks
):
    known, _ = _request_reset(client, imported.email, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    unknown, callbacks = _request_reset(
        Client(), "stranger@elsewhere.example", django_capture_on_commit_callbacks
    )

    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    assert "Check your email" in unknown.text
    assert callbacks == []
    assert mail.outbox == []


def test_a_deactivated_user_gets_no_mail(client, imported, django_capture_on_commit_callbacks):
    imported.is_active = False
    imported.save()

    response, _ = _request_reset(client, imported.email, django_capture_on_commit_callbacks)

    assert "Check your email" in response.text
    assert mail.outbox == []


def test_the_link_sets_a_password_that_then_signs_in(
    client, imported, patient, django_capture_on_commit_callbacks, login_with_password
):
    _request_reset(client, imported.email, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])

    form_page = client.get(link, follow=True)
    assert "Choose a password" in form_page.text
    set_password_url = form_page.redirect_chain[-1][0]

    too_short = client.post(set_password_url, {"new_password1": "short", "new_password2": "short"})
    assert "This password is too short" in too_short.text
    common = client.post(
        set_password_url, {"new_password1": "qwertyqwerty", "new_password2": "qwertyqwerty"}
    )
    assert "This password is too common." in common.text

    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Password saved" in done.text

    browser = Client()
    assert login_with_password(browser, imported.email, NEW_PASSWORD).status_code == 302
    assert "Gomez" in browser.get(PATIENTS).text


def test_the_link_works_only_once(client, imported, django_capture_on_commit_callbacks):
    _request_reset(client, imported.email, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0])
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)

    assert "This link no longer works" in again.text
