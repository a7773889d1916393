"""Password rules (length, common, breached; no composition rules) and changing a password."""

import hashlib
import http.server
import logging
import socket
import threading

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD

CHANGE = "/accounts/password/"
PATIENTS = "/p/smile-north/patients/"
BREACHED = "breached-but-long-enough-1"
BREACH_COUNT = 4242


def _change(client: Client, new_password: str):
    return client.post(
        CHANGE,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": new_password,
            "new_password2": new_password,
        },
    )


@pytest.fixture
def alice_client(client, alice, login_with_password):
    assert login_with_password(client, alice.email).status_code == 302
    return client


def _accepted(response) -> bool:
    return response.status_code == 302 and response.url == "/"


def test_eleven_characters_are_too_short(alice_client):
    response = _change(alice_client, "lanternmoth")

    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in response.text


def test_twelve_characters_are_enough(alice_client):
    assert _accepted(_change(alice_client, "lanternmoths"))


def test_a_common_password_is_refused(alice_client):
    response = _change(alice_client, "qwertyqwerty")

    assert "This password is too common." in response.text


def test_a_long_passphrase_of_80_characters_is_accepted(alice_client, alice, client):
    passphrase = "the quiet heron waits by the cold river while the morning fog lifts slowly away."
    assert len(passphrase) == 80

    assert _accepted(_change(alice_client, passphrase))
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": alice.email, "password": passphrase})
    assert response.status_code == 302


def test_there_are_no_composition_rules(alice_client):
    # Lower-case letters only: no digit, capital or symbol is demanded.
    assert _accepted(_change(alice_client, "orchardwindowpebble"))


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """The k-anonymity range API: suffixes and counts for a five-character SHA-1 prefix."""

    def do_GET(self):
        self.server.paths.append(self.path)
        digest = hashlib.sha1(BREACHED.encode()).hexdigest().upper()  # noqa: S324 the API's format
        lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:1", "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0"]
        if self.path.endswith(digest[:5]):
            lines.append(f"{digest[5:]}:{BREACH_COUNT}")
        body = "\r\n".join(lines).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def breach_service(settings):
    """A real HTTP server on loopback standing in for api.pwnedpasswords.com."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    server.paths = []
    server.status = 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.BREACHED_PASSWORDS_CHECK = True
    settings.BREACHED_PASSWORDS_URL = f"http://127.0.0.1:{server.server_address[1]}/range/"
    yield server
    server.shutdown()
    server.server_close()


def test_a_breached_password_is_refused(alice_client, breach_service):
    response = _change(alice_client, BREACHED)

    assert response.status_code == 200
    assert "This password has appeared in a data breach elsewhere." in response.text


def test_only_five_characters_of_the_hash_leave_the_server(alice_client, breach_service):
    _change(alice_client, BREACHED)

    digest = hashlib.sha1(BREACHED.encode()).hexdigest().upper()  # noqa: S324 the API's format
    assert breach_service.paths == [f"/range/{digest[:5]}"]


def test_a_password_not_in_any_breach_is_accepted(alice_client, breach_service):
    assert _accepted(_change(alice_client, "marigold-tugboat-anthem"))
    assert len(breach_service.paths) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_breach_service_does_not_block_the_change(alice_client, settings, caplog):
    settings.BREACHED_PASSWORDS_CHECK = True
    settings.BREACHED_PASSWORDS_URL = f"http://127.0.0.1:{_closed_port()}/range/"

    with caplog.at_level(logging.WARNING, logger="coordinator.passwords"):
        response = _change(alice_client, BREACHED)

    assert _accepted(response)
    assert "breached-password service unreachable" in caplog.text
    assert BREACHED not in caplog.text


def test_a_failing_breach_service_does_not_block_the_change(alice_client, breach_service, caplog):
    breach_service.status = 503

    with caplog.at_level(logging.WARNING, logger="coordinator.passwords"):
        response = _change(alice_client, BREACHED)

    assert _accepted(response)
    assert "breached-password service unreachable" in caplog.text


def test_changing_the_password_signs_out_other_sessions_but_not_this_one(
    alice_client, alice, login_with_password
):
    other_device = Client()
    login_with_password(other_device, alice.email)
    assert other_device.get(PATIENTS).status_code == 200

    response = _change(alice_client, "a-brand-new-passphrase")

    assert _accepted(response)
    still_here = alice_client.get(PATIENTS)
    assert still_here.status_code == 200
    assert "Your other sessions were signed out." in still_here.text
    stale = other_device.get(PATIENTS)
    assert stale.status_code == 302
    assert stale.url.startswith("/accounts/login/")
