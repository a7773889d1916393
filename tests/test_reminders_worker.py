"""Reminders on real `celery worker` processes: sent once, lost never, even when things die.

The first tests use the machine's Redis through this session's own queue (conftest). The chaos
tests start their own redis-server on a free port (append-only file, fsync every second, or no
persistence at all), their own workers and a `celery beat` sweeping every second, with short
visibility and "stuck" timeouts; the machine's Redis on 6379 is never touched. Texts go to the
file backend or to a fake provider speaking Twilio's API that dedupes on the idempotency key,
and the tests count what reached "patients".
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from plans import reminders
from plans.followup_models import Reminder, ReminderStatus, Touch, TouchOutcome
from plans.models import PlanStatus, TreatmentPlan
from plans.services import option_accept
from tests.reminder_support import (
    FROM_NUMBER,
    SID,
    TOKEN,
    FakeProvider,
    free_port,
    make_due,
    no_quiet_hours,
    pid_with_local_port,
    presented_plan,
    seed_due_reminders,
    start_fake_provider,
)

pytestmark = pytest.mark.worker


def _wait_for(condition, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _count(**filters) -> int:
    with scopes_disabled():
        return Reminder.objects.filter(**filters).count()


def _statuses() -> dict[str, int]:
    with scopes_disabled():
        rows = Reminder.objects.values_list("status", flat=True)
        return {status: list(rows).count(status) for status in set(rows)}


@pytest.fixture
def owner(transactional_db, practice, alice):
    no_quiet_hours(practice)
    return alice


# --- On the machine's Redis, this session's queue -------------------------------------------


def test_a_thousand_due_reminders_are_each_sent_once_by_two_workers(
    owner, practice, settings, tmp_path, celery_test_queue, celery_subprocess_worker
):
    sms_dir = tmp_path / "sms"
    settings.REMINDER_QUEUE = celery_test_queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    env = {"SMS_BACKEND": "file", "SMS_FILE_DIR": str(sms_dir), "REMINDER_QUEUE": celery_test_queue}
    workers = [celery_subprocess_worker(**env) for _ in range(2)]
    seed_due_reminders(practice, owner, count=1000)

    started = time.monotonic()
    result = reminders.reminders_sweep()

    assert result.claimed == 1000
    assert _wait_for(lambda: _count(status=ReminderStatus.SENT) == 1000, timeout=90), _statuses()
    elapsed = time.monotonic() - started
    assert len(list(sms_dir.glob("*.json"))) == 1000
    with scopes_disabled():
        assert Touch.objects.filter(outcome=TouchOutcome.SENT).count() == 1000
        assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}
    logs = [(tmp_path / f"{node}.log").read_text() for node in workers]
    shares = [log.count("succeeded in") for log in logs]
    assert sum(shares) == 1000
    assert min(shares) > 0, shares  # both workers took part
    print(f"1,000 reminders by 2 workers: {elapsed:.1f} s ({1000 / elapsed:.0f}/s), {shares}")


def test_a_reminder_whose_plan_is_accepted_before_its_turn_is_not_sent(
    owner, practice, dave, settings, tmp_path, celery_test_queue, celery_subprocess_worker
):
    from tests.factories import PatientFactory

    sms_dir = tmp_path / "sms"
    settings.REMINDER_QUEUE = celery_test_queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    plans = [
        presented_plan(
            practice,
            PatientFactory(practice=practice, sms_consent=True, first_name=name),
            dave,
            owner,
        )
        for name in ("Ana", "Ben", "Cy")
    ]
    due = [make_due(plan, "sms") for plan in plans]
    assert reminders.reminders_sweep().claimed == 3  # queued in Redis; no worker yet
    accepted, decided_elsewhere, still_open = plans
    with scopes_disabled():
        option_accept(option=accepted.options.get(), request=None, by=owner)
        # A status change that did not go through the follow-up hooks: the send itself checks.
        TreatmentPlan.objects.filter(pk=decided_elsewhere.pk).update(status=PlanStatus.DECLINED)

    celery_subprocess_worker(
        SMS_BACKEND="file", SMS_FILE_DIR=str(sms_dir), REMINDER_QUEUE=celery_test_queue
    )

    assert _wait_for(lambda: _count(status=ReminderStatus.QUEUED) == 0, timeout=30), _statuses()
    with scopes_disabled():
        for reminder in due:
            reminder.refresh_from_db()
    assert [r.status for r in due] == ["cancelled", "cancelled", "sent"]
    assert [path.stem for path in sms_dir.glob("*.json")] == [str(due[2].pk)]


# --- Chaos: our own Redis, workers and beat -------------------------------------------------


class Stack:
    """A redis-server, `celery worker` processes and a `celery beat`, all ours."""

    def __init__(self, directory: Path, *, persistent: bool, env: dict[str, str]):
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.queue = f"chaos-{os.getpid()}-{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.port}/0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "REMINDER_QUEUE": self.queue,
            # Short, so a test sees recovery within seconds (production: 900 s and 600 s).
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "REMINDER_STUCK_SECONDS": "8",
            "REMINDER_SWEEP_SECONDS": "1",
            "EMAIL_URL": "locmem://",
            **env,
        }
        self.redis: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.others: list[subprocess.Popen] = []

    def _spawn(self, command: list[str], log_name: str) -> subprocess.Popen:
        with open(self.directory / log_name, "ab") as log:
            return subprocess.Popen(
                command, env=self.env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )

    def start_redis(self) -> None:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        self.redis = self._spawn(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.directory),
                "--maxmemory-policy",
                "noeviction",
                *persistence,
            ],
            "redis.log",
        )
        assert _wait_for(self._redis_answers, timeout=10), "redis-server did not start"

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill_redis(self) -> None:
        self.redis.send_signal(signal.SIGKILL)
        self.redis.wait()

    def start_workers(self, *names: str) -> None:
        """Start `celery worker` processes (solo pool) and wait until each is ready."""
        started = []
        for name in names:
            log = self.directory / f"{name}.log"
            offset = log.stat().st_size if log.exists() else 0
            command = [sys.executable, "-m", "celery", "-A", "coordinator", "worker"]
            command += ["--pool", "solo", "--without-mingle", "--without-gossip"]
            command += ["--without-heartbeat", "-n", f"{name}@%h", "-Q", self.queue, "-l", "info"]
            self.workers[name] = self._spawn(command, f"{name}.log")
            started.append((name, log, offset))

        def ready() -> bool:
            for name, log, _offset in started:
                assert self.workers[name].poll() is None, log.read_text()[-3000:]
            return all(" ready." in log.read_text()[offset:] for _, log, offset in started)

        assert _wait_for(ready, timeout=45), f"workers {names} did not start"

    def kill_worker(self, name: str) -> None:
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def start_beat(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "coordinator", "beat", "-l", "info"]
        command += ["--schedule", str(self.directory / "beat-schedule")]
        command += ["--pidfile", str(self.directory / "beat.pid")]
        self.others.append(self._spawn(command, "beat.log"))

    def log(self, name: str) -> str:
        path = self.directory / f"{name}.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        processes = [*self.workers.values(), *self.others]
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait()


def _test_database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{quote(db['NAME'])}"
    )


@pytest.fixture
def provider():
    fake = FakeProvider()
    server = start_fake_provider(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def chaos(transactional_db, tmp_path, provider):
    """Starts a Stack: `chaos(persistent=True)`; everything stops before the database goes."""
    stacks = []

    def start(*, persistent: bool = True) -> Stack:
        stack = Stack(
            tmp_path,
            persistent=persistent,
            env={
                "SMS_BACKEND": "twilio",
                "SMS_API_BASE_URL": provider.url,
                "SMS_ACCOUNT_SID": SID,
                "SMS_AUTH_TOKEN": TOKEN,
                "SMS_FROM_NUMBER": FROM_NUMBER,
            },
        )
        stacks.append(stack)
        stack.start_redis()
        return stack

    yield start
    for stack in stacks:
        stack.stop()


def _assert_each_sent_exactly_once(count: int, provider: FakeProvider) -> None:
    assert _count(status=ReminderStatus.SENT) == count, _statuses()
    with scopes_disabled():
        ids = {str(pk) for pk in Reminder.objects.values_list("pk", flat=True)}
        assert Touch.objects.filter(outcome=TouchOutcome.SENT).count() == count
    assert set(provider.delivered) == ids  # none lost: every reminder reached its patient
    # None doubled: the provider kept one message per key; re-sends used the same key.
    assert len(provider.delivered) == count


def test_a_worker_killed_mid_send_loses_and_doubles_nothing(owner, practice, chaos, provider):
    count = 200
    # The provider holds the 50th text: its sender is killed while the provider has it, and
    # the provider takes the message after all (the hardest moment to die).
    provider.hold_at = 50
    seed_due_reminders(practice, owner, count=count)
    stack = chaos(persistent=True)
    stack.start_workers("alpha", "beta")
    stack.start_beat()
    started = time.monotonic()

    assert provider.held.wait(timeout=60), _statuses()
    pids = {process.pid: name for name, process in stack.workers.items()}
    victim = pids[pid_with_local_port(provider.held_port, list(pids))]
    stack.kill_worker(victim)  # SIGKILL: no shutdown, no acknowledgement
    killed = time.monotonic()
    provider.release.set()
    time.sleep(1)
    stack.start_workers(victim)

    held_sent = lambda: _count(pk=provider.held_key, status=ReminderStatus.SENT) == 1  # noqa: E731
    assert _wait_for(held_sent, timeout=30), _statuses()  # checklist 20: within 30 s
    recovered = time.monotonic() - killed
    assert _wait_for(lambda: _count(status=ReminderStatus.SENT) == count, timeout=60), _statuses()
    _assert_each_sent_exactly_once(count, provider)
    keys = [request["key"] for request in provider.requests]
    assert keys.count(provider.held_key) == 2  # sent again, with the same key
    with scopes_disabled():
        held = Reminder.objects.get(pk=provider.held_key)
        assert Touch.objects.filter(reminder=held).count() == 1
    assert (held.status, held.attempts) == (ReminderStatus.SENT, 2)
    print(
        f"{victim} killed mid-send: that reminder sent {recovered:.1f} s after the kill; all "
        f"{count} sent once in {time.monotonic() - started:.1f} s; "
        f"{len(keys) - count} re-sent with the same key"
    )


@pytest.mark.parametrize("persistent", [True, False], ids=["append-only-file", "no-persistence"])
def test_redis_killed_and_restarted_mid_run_loses_and_doubles_nothing(
    owner, practice, chaos, provider, persistent
):
    count = 200
    provider.delay = 0.01
    seed_due_reminders(practice, owner, count=count)
    stack = chaos(persistent=persistent)
    stack.start_workers("alpha", "beta")
    stack.start_beat()
    started = time.monotonic()

    assert _wait_for(lambda: _count(status=ReminderStatus.SENT) >= 40, timeout=40), _statuses()
    stack.kill_redis()  # kill -9: whatever was not yet on disk is gone
    killed_at = _count(status=ReminderStatus.SENT)
    time.sleep(1)
    stack.start_redis()

    assert _wait_for(lambda: _count(status=ReminderStatus.SENT) == count, timeout=60), _statuses()
    _assert_each_sent_exactly_once(count, provider)
    assert killed_at < count
    print(
        f"Redis ({'AOF' if persistent else 'no persistence'}) killed after {killed_at} sent: "
        f"all {count} sent once in {time.monotonic() - started:.1f} s; "
        f"{len(provider.requests) - count} re-sent with the same key"
    )
