"""Signing in and out with email and password, and the brute-force lockout (django-axes)."""

import datetime

from django.conf import settings
from django.test import Client
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent, UserSession

PATIENTS = "/p/smile-north/patients/"
LOCKED_TEXT = "Too many sign-in attempts"


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_sign_in_with_email_in_any_case_opens_the_practice(client, alice, login_with_password):
    response = login_with_password(client, "  ALICE@Smile.Example ")

    assert response.status_code == 302
    assert client.get(PATIENTS).status_code == 200


def test_sign_in_rotates_the_session_key(client, alice, login_with_password):
    anonymous = client.session
    anonymous["seen_login_page"] = True
    anonymous.save()
    before = _session_key(client)

    login_with_password(client, alice.email)

    after = _session_key(client)
    assert after != before
    assert not UserSession.objects.filter(session_key=before).exists()
    assert UserSession.objects.get(session_key=after).user == alice


def test_sign_in_is_audited(client, alice, login_with_password):
    login_with_password(client, alice.email, HTTP_USER_AGENT="pytest-browser")

    with scopes_disabled():
        event = AuditEvent.objects.get(action="auth.signed_in")
    assert event.actor == alice
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "pytest-browser"


def test_wrong_password_shows_an_error_on_the_form(client, alice, login_with_password):
    response = login_with_password(client, alice.email, "not-my-password-at-all")

    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.text
    assert client.get(PATIENTS).status_code == 302


def test_sign_out_needs_post(client_for, alice):
    client = client_for(alice)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.get(PATIENTS).status_code == 200


def test_sign_out_deletes_the_server_side_session(client, alice, login_with_password):
    login_with_password(client, alice.email)
    old_key = _session_key(client)

    response = client.post("/accounts/logout/", follow=True)

    assert "You are signed out." in response.text
    assert not UserSession.objects.filter(session_key=old_key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get(PATIENTS)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# Brute force. Configured: AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]],
# 5 failures, 15 minutes cool-off, HTTP 429.

ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


def _fail(client, login_with_password, email, times, ip=ATTACKER):
    return [
        login_with_password(client, email, "wrong-guess-123456", REMOTE_ADDR=ip)
        for _ in range(times)
    ]


def test_five_wrong_passwords_lock_the_sign_in(client, alice, login_with_password):
    responses = _fail(client, login_with_password, alice.email, 5)

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert LOCKED_TEXT in responses[-1].text
    assert "Please wait 15 minutes and try again" in responses[-1].text
    assert "reset your password" in responses[-1].text


def test_the_right_password_does_not_help_while_locked(client, alice, login_with_password):
    _fail(client, login_with_password, alice.email, 5)

    response = login_with_password(client, alice.email, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429
    assert LOCKED_TEXT in response.text
    assert client.get(PATIENTS, REMOTE_ADDR=ATTACKER).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, alice, login_with_password, time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC), tick=False)
    _fail(client, login_with_password, alice.email, 5)

    time_machine.shift(datetime.timedelta(minutes=14))
    assert login_with_password(client, alice.email, REMOTE_ADDR=ATTACKER).status_code == 429

    time_machine.shift(datetime.timedelta(minutes=1, seconds=1))
    response = login_with_password(client, alice.email, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 302
    assert client.get(PATIENTS, REMOTE_ADDR=ATTACKER).status_code == 200


def test_another_user_from_another_address_is_not_locked(client, alice, dave, login_with_password):
    _fail(client, login_with_password, alice.email, 5)

    colleague = Client()
    response = login_with_password(colleague, dave.email, REMOTE_ADDR=COLLEAGUE)

    assert response.status_code == 302
    assert colleague.get(PATIENTS, REMOTE_ADDR=COLLEAGUE).status_code == 200


def test_the_locked_user_can_still_sign_in_from_another_address(client, alice, login_with_password):
    _fail(client, login_with_password, alice.email, 5)

    response = login_with_password(Client(), alice.email, REMOTE_ADDR=COLLEAGUE)

    assert response.status_code == 302


def test_typos_by_colleagues_at_one_front_desk_lock_nobody_else(
    client, alice, dave, login_with_password
):
    _fail(client, login_with_password, alice.email, 3)
    _fail(client, login_with_password, "nobody@smile.example", 2)

    response = login_with_password(Client(), dave.email, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 302


def test_signing_in_as_yourself_does_not_clear_guesses_at_a_colleague(
    client, alice, dave, login_with_password
):
    # An insider guessing a colleague's password cannot reset the count by signing in himself.
    for _ in range(2):
        _fail(client, login_with_password, alice.email, 2)
        assert login_with_password(Client(), dave.email, REMOTE_ADDR=ATTACKER).status_code == 302

    response = login_with_password(client, alice.email, "wrong-guess-123456", REMOTE_ADDR=ATTACKER)

    assert response.status_code == 429


def test_four_failures_do_not_lock(client, alice, login_with_password):
    _fail(client, login_with_password, alice.email, 4)

    assert login_with_password(client, alice.email, REMOTE_ADDR=ATTACKER).status_code == 302


def test_an_overlong_email_is_a_form_error_not_a_server_error(client, login_with_password):
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "example"

    response = login_with_password(client, email)

    assert response.status_code == 200
    assert "at most 254 characters" in response.text


def test_behind_a_trusted_proxy_the_audit_records_the_visitors_address(
    client, alice, login_with_password, settings
):
    settings.TRUSTED_PROXY_COUNT = 1

    login_with_password(
        client,
        alice.email,
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.5",  # the first entry is the client's lie
    )

    with scopes_disabled():
        event = AuditEvent.objects.get(action="auth.signed_in")
    assert event.ip_address == "203.0.113.5"
