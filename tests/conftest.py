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
        practice=practice, first_name="Maria", last_name="Gomez", phone="+13125550100",
        email="maria.gomez@example.net",
    )


@pytest.fixture
def outsider_patient(other_practice):
    return PatientFactory(
        practice=other_practice, first_name="Zed", last_name="Outsider", phone="+13125550199",
        email="zed@example.org",
    )
