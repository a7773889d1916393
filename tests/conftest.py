"""Shared fixtures: two practices, staff in every role, and an outsider.

alice (coordinator), bob (office manager), dave (dentist), erin (front desk) and olivia (owner)
work at `practice`; charlie (coordinator) works at `other_practice` only.
"""

import os

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import (
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    UserFactory,
    confirmed_totp_device,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # pytest-playwright's event loop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def _tests_run_on_postgresql(django_db_setup):
    if connection.vendor != "postgresql":
        pytest.exit("The tests run against PostgreSQL: use `make test` (or set DATABASE_URL).", 2)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def _fast_and_offline(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BREACHED_PASSWORDS_CHECK = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def practice(db):
    return PracticeFactory(slug="smile-north", name="Smile North Dental")


@pytest.fixture
def other_practice(db):
    return PracticeFactory(slug="bright-south", name="Bright South Dental")


def _member(practice, role, email, name, mfa=False):
    user = UserFactory(email=email, name=name)
    MembershipFactory(user=user, practice=practice, role=role)
    if mfa:
        confirmed_totp_device(user)
    return user


@pytest.fixture
def alice(practice):
    return _member(practice, "coordinator", "alice@smile.example", "Alice Coordinator")


@pytest.fixture
def bob(practice):
    return _member(practice, "office_manager", "bob@smile.example", "Bob Manager", mfa=True)


@pytest.fixture
def dave(practice):
    return _member(practice, "dentist", "dave@smile.example", "Dave Dentist")


@pytest.fixture
def erin(practice):
    return _member(practice, "front_desk", "erin@smile.example", "Erin Front Desk")


@pytest.fixture
def olivia(practice):
    return _member(practice, "owner", "olivia@smile.example", "Olivia Owner", mfa=True)


@pytest.fixture
def charlie(other_practice):
    return _member(other_practice, "coordinator", "charlie@bright.example", "Charlie Outsider")


def sign_in(client: Client, user) -> Client:
    """Signed in as `user`, with the second factor passed when the user has a device."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(db):
    def make(user) -> Client:
        return sign_in(Client(), user)

    return make


@pytest.fixture
def patient(practice):
    return PatientFactory(
        practice=practice,
        first_name="Maria",
        last_name="Gomez",
        phone="+13125550100",
        email="maria.gomez@example.net",
    )


@pytest.fixture
def outsider_patient(other_practice):
    return PatientFactory(
        practice=other_practice,
        first_name="Zed",
        last_name="Outsider",
        phone="+13125550199",
        email="zed@example.org",
    )


# --- Signing in as a person does, and production-shaped environments -----------------------


@pytest.fixture
def login_with_password(db):
    """Post the sign-in form (axes, session rotation and the audit event all run)."""
    from tests.factories import TEST_PASSWORD

    def post(client: Client, email: str, password: str = TEST_PASSWORD, **extra):
        return client.post("/accounts/login/", {"username": email, "password": password}, **extra)

    return post


@pytest.fixture(scope="session")
def production_env():
    """os.environ without this machine's settings, plus production values that pass --deploy.

    Read-only: build a changed copy with `{**production_env, "NAME": "value"}`.
    """
    from types import MappingProxyType

    prefixes = ("DJANGO_", "CELERY_", "EMAIL_", "DATABASE_", "BREACHED_", "SESSION_", "AXES_", "PG")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.pop("DEFAULT_FROM_EMAIL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="coordinator.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="test-only-not-a-secret-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a",
        DJANGO_ALLOWED_HOSTS="coordinator.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://coordinator.example.com",
        DATABASE_URL="postgres://u:p@db.invalid:5432/x?sslmode=require",
        CELERY_BROKER_URL="rediss://redis.invalid:6379/0?ssl_cert_reqs=required",
        EMAIL_URL="smtps://mailer:p@smtp.invalid:465",
    )
    return MappingProxyType(env)


# --- Celery: the project app on this session's own queue (machine-notes §4) -----------------


@pytest.fixture(scope="session", autouse=True)
def celery_test_queue():
    """A queue per test session, so other sessions, xdist workers or stray workers never take
    these tasks."""
    import uuid

    from coordinator.celery import app

    queue = f"pytest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    return queue


def _delete_from_broker(app, queue: str) -> None:
    """Leave nothing behind in the shared Redis: the queue, its messages and its bindings."""
    with app.connection_for_write() as conn:
        # Redis forgets a queue's bindings only through a channel that declared them.
        declared = app.amqp.queues[queue].bind(conn.default_channel)
        declared.declare()
        declared.delete()


@pytest.fixture
def celery_app(celery_test_queue):
    """The project app on the real broker, not the plugin's memory:// TestApp."""
    import celery.contrib.testing.tasks  # noqa: F401  registers celery.ping for the worker

    from coordinator.celery import app

    yield app
    if app.conf.broker_url.startswith(("redis://", "rediss://")):
        _delete_from_broker(app, celery_test_queue)


@pytest.fixture(scope="session")
def celery_worker_parameters(celery_test_queue):
    # Tests store no task results, so the plugin's ping-and-wait-for-result check cannot work.
    return {"queues": [celery_test_queue], "perform_ping_check": False, "shutdown_timeout": 30}


@pytest.fixture
def celery_subprocess_worker(django_db_setup, celery_test_queue, tmp_path):
    """Start real `celery worker` processes on this session's queue and the test database.

    Returns `start(**env) -> node name`; each worker is stopped when the test ends, before
    pytest-django flushes or drops the database. The worker sees committed rows only: use it
    with `transactional_db`.
    """
    import subprocess
    import sys
    import time
    import uuid
    from urllib.parse import quote

    from celery.utils.nodenames import host_format
    from django.conf import settings

    from coordinator.celery import app

    broker = app.conf.broker_url
    if not broker.startswith(("redis://", "rediss://")):
        pytest.fail(f"a real worker needs CELERY_BROKER_URL=redis://…, not {broker!r}")
    db = connection.settings_dict
    database_url = (
        f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{quote(db['NAME'])}"
    )
    processes = []

    def start(**env: str) -> str:
        name = f"pytest-{uuid.uuid4().hex[:8]}@%h"
        node = host_format(name)
        log_path = tmp_path / f"{node}.log"
        worker_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": celery_test_queue,
            **env,
        }
        command = [sys.executable, "-m", "celery", "-A", "coordinator", "worker", "--pool", "solo"]
        command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
        command += ["-n", name, "-Q", celery_test_queue, "-l", "info"]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, env=worker_env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )
        processes.append(process)
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"celery worker did not start:\n{log_path.read_text()[-3000:]}")
        return node

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _delete_from_broker(app, celery_test_queue)
