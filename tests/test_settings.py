"""Production settings from the environment (start-up checks, --deploy) and friendly error pages."""

import json
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import path


def _manage(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env=dict(env),
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_values(production_env):
    result = _manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_production_connections_use_tls(production_env):
    script = (
        "import json, coordinator.settings as s; print(json.dumps({"
        "'sslmode': s.DATABASES['default']['OPTIONS'].get('sslmode'), "
        "'broker': s.CELERY_BROKER_URL, 'smtp_ssl': s.EMAIL_USE_SSL, 'smtp_tls': s.EMAIL_USE_TLS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=dict(production_env),
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    values = json.loads(result.stdout)
    assert values["sslmode"] == "require"
    assert values["broker"].startswith("rediss://")
    assert values["smtp_ssl"] or values["smtp_tls"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CELERY_BROKER_URL", "redis://redis.internal:6379/0", "CELERY_BROKER_URL needs rediss://"),
        (
            "CELERY_RESULT_BACKEND",
            "redis://redis.internal:6379/1",
            "CELERY_RESULT_BACKEND needs rediss://",
        ),
        (
            "DATABASE_URL",
            "postgres://u:p@db.internal:5432/x",
            "DATABASE_URL needs ?sslmode=require",
        ),
        (
            "DATABASE_URL",
            "postgres://u:p@db.internal/x?sslmode=prefer",
            "DATABASE_URL needs ?sslmode=require",
        ),
        ("EMAIL_URL", "smtp://mailer:p@smtp.internal:587", "EMAIL_URL needs smtps:// or ?tls=1"),
    ],
)
def test_production_refuses_to_start_with_plaintext_services(production_env, name, value, message):
    result = _manage({**production_env, name: value}, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured: Unencrypted connections in production:" in result.stderr
    assert message in result.stderr


def test_plaintext_services_are_allowed_when_the_operator_says_so(production_env):
    env = {
        **production_env,
        "CELERY_BROKER_URL": "redis://redis:6379/0",
        "DATABASE_URL": "postgres://u:p@db:5432/x",
        "EMAIL_URL": "smtp://mailer:p@smtp:25",
        "DJANGO_ALLOW_PLAINTEXT_SERVICES": "true",
    }

    result = _manage(env, "check")

    assert result.returncode == 0, result.stderr


def test_production_needs_a_secret_key(production_env):
    env = {key: value for key, value in production_env.items() if key != "DJANGO_SECRET_KEY"}

    result = _manage(env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the environment variable DJANGO_SECRET_KEY." in result.stderr


def test_production_refuses_a_short_secret_key(production_env):
    result = _manage({**production_env, "DJANGO_SECRET_KEY": "too-short"}, "check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be at least 50 random characters." in result.stderr


def test_production_needs_allowed_hosts(production_env):
    env = {key: value for key, value in production_env.items() if key != "DJANGO_ALLOWED_HOSTS"}

    result = _manage(env, "check")

    assert result.returncode != 0
    assert "Set the environment variable DJANGO_ALLOWED_HOSTS." in result.stderr


def test_a_typo_in_a_boolean_fails_loudly(production_env):
    result = _manage({**production_env, "DJANGO_DEBUG": "flase"}, "check")

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false, not 'flase'." in result.stderr


# Error pages as production shows them (DEBUG off): friendly, with no technical detail.


def _view_that_fails(request):
    raise RuntimeError("secret internals: connection to db-primary refused")


urlpatterns = [path("fails/", _view_that_fails)]


def test_an_unknown_url_shows_the_friendly_not_found_page(settings, db):
    settings.DEBUG = False

    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert "URLconf" not in response.text
    assert "Traceback" not in response.text


def test_a_crash_shows_the_friendly_error_page(settings, db, caplog):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__

    response = Client(raise_request_exception=False).get("/fails/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "Traceback" not in response.text
    assert "secret internals" not in response.text
    assert "secret internals" in caplog.text  # the team still sees it in the log
