"""Idle (30 min) and absolute (12 h) session timeouts, in real time moved by time-machine."""

import datetime

import pytest
from django.conf import settings

PATIENTS = "/p/smile-north/patients/"
MINUTE = datetime.timedelta(minutes=1)
START = datetime.datetime(2025, 3, 3, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def signed_in(client, alice, login_with_password, time_machine):
    time_machine.move_to(START, tick=False)
    assert login_with_password(client, alice.email).status_code == 302
    return client


def test_the_configured_limits_are_30_minutes_idle_and_12_hours_in_all():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60


def test_a_minute_before_the_idle_limit_the_page_opens(signed_in, time_machine):
    time_machine.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_SECONDS) - MINUTE)

    assert signed_in.get(PATIENTS).status_code == 200


def test_a_minute_after_the_idle_limit_the_user_must_sign_in_again(signed_in, time_machine):
    time_machine.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_SECONDS) + MINUTE)

    response = signed_in.get(PATIENTS)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={PATIENTS}"
    login_page = signed_in.get(response.url)
    assert "You were signed out after a while without activity." in login_page.text
    assert signed_in.get(PATIENTS).status_code == 302


def test_activity_keeps_the_session_alive(signed_in, time_machine):
    for _ in range(3):
        time_machine.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_SECONDS) - MINUTE)
        assert signed_in.get(PATIENTS).status_code == 200


def _stay_active_until(client, time_machine, elapsed: datetime.timedelta) -> None:
    """Open a page every 25 minutes (never idle) until `elapsed` after sign-in."""
    step = datetime.timedelta(minutes=25)
    while datetime.datetime.now(datetime.UTC) + step < START + elapsed:
        time_machine.shift(step)
        assert client.get(PATIENTS).status_code == 200
    time_machine.move_to(START + elapsed, tick=False)


def test_a_minute_before_the_absolute_limit_the_page_opens(signed_in, time_machine):
    limit = datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    _stay_active_until(signed_in, time_machine, limit - MINUTE)

    assert signed_in.get(PATIENTS).status_code == 200


def test_a_minute_after_the_absolute_limit_even_an_active_user_signs_in_again(
    signed_in, time_machine
):
    limit = datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    _stay_active_until(signed_in, time_machine, limit + MINUTE)

    response = signed_in.get(PATIENTS)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={PATIENTS}"
    login_page = signed_in.get(response.url)
    assert "Your session reached its time limit. Please sign in again." in login_page.text


def test_an_htmx_request_after_the_timeout_gets_a_client_redirect(signed_in, time_machine):
    time_machine.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_SECONDS) + MINUTE)

    response = signed_in.get(PATIENTS, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={PATIENTS}"
    assert b"Gomez" not in response.content


def test_the_limits_follow_the_settings(signed_in, time_machine, settings):
    settings.SESSION_IDLE_SECONDS = 5 * 60

    time_machine.shift(datetime.timedelta(minutes=6))

    assert signed_in.get(PATIENTS).status_code == 302
