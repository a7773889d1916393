"""Celery for real: the Redis broker, a worker thread, a `celery worker` process and SMTP."""

import re
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from celery.result import EagerResult
from celery.signals import task_postrun
from django.core import mail
from django.db import connections
from django.test import Client

from coordinator.celery import app
from coordinator.models import User
from coordinator.tasks import send_password_reset_email
from tests.factories import MembershipFactory

MAX_TASK_SECONDS = 10 * 60


def _wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_every_task_has_a_time_limit_and_a_lower_soft_limit():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "coordinator.tasks.send_password_reset_email" in ours

    for name, task in ours.items():
        hard = task.time_limit if task.time_limit is not None else app.conf.task_time_limit
        soft = (
            task.soft_time_limit
            if task.soft_time_limit is not None
            else app.conf.task_soft_time_limit
        )
        assert hard is not None, name
        assert 0 < hard <= MAX_TASK_SECONDS, name
        # Celery refuses to send a task whose soft limit is above its hard limit.
        assert soft is None or soft < hard, name


@pytest.fixture
def imported(transactional_db, practice):
    user = User.objects.create_user("ivy.import@smile.example", None, name="Ivy Imported")
    MembershipFactory(user=user, practice=practice, role="coordinator")
    return user


def _close_worker_thread_connections(**kwargs) -> None:
    connections.close_all()


@pytest.fixture
def thread_worker(settings, celery_worker):
    """A worker thread on this session's queue; tasks go through the broker, not eagerly."""
    # The thread has its own database connection: close it after each task, so nothing holds
    # the test database open when pytest-django drops it.
    task_postrun.connect(_close_worker_thread_connections)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield celery_worker
    task_postrun.disconnect(_close_worker_thread_connections)


def test_delay_goes_through_redis_to_a_worker(imported, thread_worker):
    assert app.conf.broker_url.startswith(("redis://", "rediss://"))

    result = send_password_reset_email.delay(str(imported.pk), "testserver", False)

    assert not isinstance(result, EagerResult)  # sent to the broker, not run in place
    assert _wait_for(lambda: len(mail.outbox) == 1), "the worker never sent the email"
    assert mail.outbox[0].to == [imported.email]


class _Inbox:
    """An SMTP server's mailbox: the envelopes it accepted."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.mark.worker
def test_a_worker_process_sends_the_reset_email_over_smtp(
    imported, settings, smtp_server, celery_subprocess_worker
):
    controller, inbox = smtp_server
    celery_subprocess_worker(EMAIL_URL=f"smtp://127.0.0.1:{controller.port}")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client = Client()

    response = client.post("/accounts/password-reset/", {"email": imported.email}, follow=True)

    assert "Check your email" in response.text
    assert mail.outbox == []  # not sent by the web process
    assert _wait_for(lambda: inbox.envelopes), "no message reached the SMTP server"
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == [imported.email]
    body = envelope.content.decode()
    assert "Subject: Set your Coordinator password" in body
    link = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", body)
    assert link, body
    form_page = client.get(link.group(1), follow=True)
    assert "Choose a password" in form_page.text
