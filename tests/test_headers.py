"""Security headers on pages with health information, and the production cookie attributes."""

import json
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

PRODUCTION_VALUES = [
    "DEBUG",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
]


@pytest.fixture(scope="module")
def production_settings(production_env) -> dict:
    """The settings module as production imports it (DJANGO_DEBUG=false), in a fresh process."""
    script = (
        "import json, coordinator.settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {PRODUCTION_VALUES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=dict(production_env),
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _phi_urls(patient) -> list[str]:
    args = [patient.practice.slug, patient.pk]
    return [
        reverse("patients:list", args=args[:1]),
        reverse("patients:detail", args=args),
        reverse("patients:edit", args=args),
    ]


def _csp(response) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response["Content-Security-Policy"].split(";"))
    return {parts[0]: parts[1:] for parts in directives if parts}


def test_health_information_pages_carry_the_security_headers(client_for, alice, patient):
    client = client_for(alice)

    for url in _phi_urls(patient):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        csp = _csp(response)
        assert csp["default-src"] == ["'self'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        assert "'unsafe-inline'" not in csp["script-src"], url


def test_scripts_on_the_page_carry_the_nonce_of_the_policy(client_for, alice, patient):
    response = client_for(alice).get(_phi_urls(patient)[0])

    nonces = [s.removeprefix("'nonce-").rstrip("'") for s in _csp(response)["script-src"]]
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts
    for tag in scripts:
        match = re.search(r'nonce="([^"]+)"', tag)
        assert match, tag
        assert match.group(1) in nonces


def test_each_response_gets_a_fresh_nonce(client_for, alice, patient):
    client = client_for(alice)
    url = _phi_urls(patient)[0]

    first = _csp(client.get(url))["script-src"]
    second = _csp(client.get(url))["script-src"]

    assert first != second


def test_error_pages_are_not_stored_either(client_for, alice, outsider_patient):
    response = client_for(alice).get(_phi_urls(outsider_patient)[1])

    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]


def test_production_settings_turn_on_hsts_and_secure_host_only_cookies(production_settings):
    assert production_settings["DEBUG"] is False
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert production_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    for cookie in ("SESSION", "CSRF"):
        assert production_settings[f"{cookie}_COOKIE_NAME"].startswith("__Host-")
        assert production_settings[f"{cookie}_COOKIE_SECURE"] is True
        assert production_settings[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert production_settings[f"{cookie}_COOKIE_SAMESITE"] == "Lax"


def test_with_production_values_the_browser_gets_hsts_and_host_only_cookies(
    production_settings, settings, alice, login_with_password
):
    for name, value in production_settings.items():
        if name != "DEBUG":
            setattr(settings, name, value)
    client = Client()

    login_page = client.get("/accounts/login/", secure=True)
    response = login_with_password(client, alice.email, secure=True)

    hsts = f"max-age={production_settings['SECURE_HSTS_SECONDS']}; includeSubDomains"
    assert login_page["Strict-Transport-Security"] == hsts
    assert response.status_code == 302
    for name, cookie in [
        ("__Host-sessionid", response.cookies.get("__Host-sessionid")),
        ("__Host-csrftoken", login_page.cookies.get("__Host-csrftoken")),
    ]:
        assert cookie is not None, name
        header = cookie.output(header="").strip()
        assert "; Secure" in header, header
        assert "; HttpOnly" in header, header
        assert "; SameSite=Lax" in header, header
        assert "; Path=/" in header, header
        assert "Domain=" not in header, header
