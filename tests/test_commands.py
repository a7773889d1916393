"""The small management commands: demo_totp and deactivate_user."""

import io

import pytest
from django.core.management import CommandError, call_command
from django_otp import match_token
from django_scopes import scopes_disabled

from coordinator import demo
from coordinator.models import AuditEvent, User, UserSession

PATIENTS = "/p/smile-north/patients/"


def run(*args) -> str:
    stdout = io.StringIO()
    call_command(*args, stdout=stdout)
    return stdout.getvalue()


# --- demo_totp -----------------------------------------------------------------------------


def test_demo_totp_prints_a_code_that_the_second_factor_accepts(db, settings):
    settings.DEBUG = True
    run("load_demo")
    email = f"priya@{demo.DOMAIN}"

    code = run("demo_totp", email.upper()).strip()

    assert len(code) == 6
    assert code.isdigit()
    device = match_token(User.objects.get(email=email), code)
    assert device is not None
    assert device.name == demo.TOTP_DEVICE_NAME


def test_demo_totp_refuses_without_debug(db):
    with pytest.raises(CommandError, match="runs only with DJANGO_DEBUG=true"):
        call_command("demo_totp", f"priya@{demo.DOMAIN}")


def test_demo_totp_says_so_for_an_unknown_email(db, settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match='No user has the email "nobody@example.com"'):
        call_command("demo_totp", "nobody@example.com")


def test_demo_totp_never_shows_the_code_of_a_real_authenticator(bob, settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="has no demo authenticator"):
        call_command("demo_totp", bob.email)


# --- deactivate_user -----------------------------------------------------------------------


def test_deactivate_user_ends_every_session_at_once(alice, client_for):
    laptop, phone = client_for(alice), client_for(alice)
    assert laptop.get(PATIENTS).status_code == 200
    assert UserSession.objects.filter(user=alice).count() == 2

    output = run("deactivate_user", " Alice@Smile.example ")

    assert output == "alice@smile.example deactivated; 2 open session(s) ended.\n"
    alice.refresh_from_db()
    assert not alice.is_active
    assert not UserSession.objects.filter(user=alice).exists()
    for client in (laptop, phone):
        response = client.get(PATIENTS)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    with scopes_disabled():
        event = AuditEvent.objects.get(action="user.deactivated")
    assert (event.system_actor, event.object_id) == ("command:deactivate_user", str(alice.pk))


def test_deactivating_someone_again_says_so(alice):
    run("deactivate_user", alice.email)

    assert run("deactivate_user", alice.email) == (
        "alice@smile.example was already deactivated; 0 open session(s) ended.\n"
    )


def test_deactivate_user_with_an_unknown_email_is_one_readable_error(db):
    with pytest.raises(CommandError, match='No user has the email "nobody@example.com"') as error:
        call_command("deactivate_user", "nobody@example.com")

    assert error.value.returncode == 1
