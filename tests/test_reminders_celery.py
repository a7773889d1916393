"""How Celery is set up for reminders (checklist 17-22), and the practice's quiet-hour settings."""

import ast
import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from coordinator.celery import app, route_task
from tests.conftest import sign_in

ROOT = Path(django_settings.BASE_DIR)
MAX_DELAY_SECONDS = 5 * 60
# Tasks that may be acknowledged late: running one twice does no harm.
IDEMPOTENT_TASKS = {"plans.tasks.send_reminder"}


def _our_tasks() -> dict:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_the_reminder_tasks_are_registered():
    assert {"plans.tasks.send_reminder", "plans.tasks.sweep_due_reminders"} <= _our_tasks().keys()


def test_only_idempotent_tasks_are_acknowledged_late_and_they_come_back_if_a_worker_dies():
    late = {name for name, task in _our_tasks().items() if task.acks_late}

    assert late == IDEMPOTENT_TASKS
    assert app.conf.task_acks_late is False
    for name in late:
        assert app.tasks[name].reject_on_worker_lost is True, name


def test_retries_wait_at_most_five_minutes():
    for name, task in _our_tasks().items():
        if getattr(task, "autoretry_for", ()):
            # Celery's defaults when a task does not say: a 600 s cap, with jitter.
            assert getattr(task, "retry_backoff_max", 600) <= MAX_DELAY_SECONDS, name
            assert getattr(task, "retry_jitter", True), name
        assert (task.default_retry_delay or 0) <= MAX_DELAY_SECONDS, name


def test_the_visibility_timeout_outlasts_the_longest_task_and_retry_delay():
    longest = max(task.time_limit or app.conf.task_time_limit for task in _our_tasks().values())
    visibility = app.conf.broker_transport_options["visibility_timeout"]

    assert visibility > longest + MAX_DELAY_SECONDS
    assert app.conf.broker_transport_options["unacked_restore_throttle"] == 1
    assert app.conf.worker_prefetch_multiplier == 1


def test_a_stuck_reminder_is_resent_only_after_its_retry_and_time_limit():
    send = app.tasks["plans.tasks.send_reminder"]

    assert send.retry_backoff_max + send.time_limit < django_settings.REMINDER_STUCK_SECONDS


def test_every_beat_entry_expires_before_the_next_run():
    schedule = app.conf.beat_schedule
    assert schedule["sweep-due-reminders"]["task"] == "plans.tasks.sweep_due_reminders"
    assert schedule["sweep-due-reminders"]["schedule"] == 60

    for name, entry in schedule.items():
        assert entry["task"] in _our_tasks(), name
        seconds = entry["schedule"]
        seconds = seconds.total_seconds() if isinstance(seconds, datetime.timedelta) else seconds
        assert 0 < entry["options"]["expires"] < seconds, name


def test_reminder_sends_go_to_their_own_queue(settings):
    settings.REMINDER_QUEUE = "reminders-elsewhere"

    assert route_task("plans.tasks.send_reminder", (), {}, {}) == {"queue": "reminders-elsewhere"}
    assert route_task("plans.tasks.sweep_due_reminders", (), {}, {}) is None
    assert route_task("coordinator.tasks.send_password_reset_email", (), {}, {}) is None


def _python_files():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "node_modules", "migrations", "build"} or "site-packages" in parts:
            continue
        yield path


def test_no_code_schedules_a_task_more_than_five_minutes_ahead():
    """Checklist 19: later work is a database row with a due time, never a broker ETA."""
    problems = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                where = f"{path.relative_to(ROOT)}:{keyword.value.lineno}"
                if keyword.arg == "eta":
                    problems.append(f"{where}: eta= (use a row with a due time)")
                elif keyword.arg in {"countdown", "retry_backoff_max", "default_retry_delay"}:
                    value = keyword.value
                    if not (
                        isinstance(value, ast.Constant)
                        and isinstance(value.value, int | float)
                        and value.value <= MAX_DELAY_SECONDS
                    ):
                        problems.append(f"{where}: {keyword.arg}= longer than 5 minutes or unknown")
    assert problems == []


def test_the_lint_would_catch_a_long_countdown(tmp_path):
    tree = ast.parse("send.apply_async(args, countdown=3600)\nsend.apply_async(eta=later)")
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and node.keywords]
    assert [(k.arg, getattr(k.value, "value", None)) for c in calls for k in c.keywords] == [
        ("countdown", 3600),
        ("eta", None),
    ]


# --- Quiet hours in the practice settings ------------------------------------------------------


def test_the_office_manager_sets_quiet_hours(client_for, bob, practice):
    url = reverse("practice_settings", args=[practice.slug])
    page = client_for(bob).get(url)
    assert "Automatic reminders" in page.text
    assert 'name="quiet_hours_start" value="20:00"' in page.text

    response = client_for(bob).post(
        url,
        {
            "name": practice.name,
            "timezone": "America/Denver",
            "quiet_hours_start": "21:30",
            "quiet_hours_end": "07:45",
            "texts_on_sundays": "on",
        },
    )

    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.quiet_hours_start == datetime.time(21, 30)
    assert practice.quiet_hours_end == datetime.time(7, 45)
    assert practice.texts_on_sundays is True


def test_empty_quiet_hours_mean_the_defaults(client_for, bob, practice):
    practice.quiet_hours_start = datetime.time(22, 0)
    practice.save()

    response = client_for(bob).post(
        reverse("practice_settings", args=[practice.slug]),
        {"name": practice.name, "timezone": practice.timezone, "quiet_hours_start": ""},
    )

    assert response.status_code == 302
    practice.refresh_from_db()
    assert (practice.quiet_hours_start, practice.quiet_hours_end) == (
        datetime.time(20, 0),
        datetime.time(8, 0),
    )
    assert practice.texts_on_sundays is False


def test_a_time_that_is_not_a_time_is_refused(client_for, bob, practice):
    response = client_for(bob).post(
        reverse("practice_settings", args=[practice.slug]),
        {"name": practice.name, "timezone": practice.timezone, "quiet_hours_end": "25:99"},
    )

    assert response.status_code == 422
    assert "Enter a valid time." in response.text


@pytest.mark.parametrize("user", ["alice", "erin"])
def test_only_managers_change_quiet_hours(request, client, practice, user):
    client = sign_in(client, request.getfixturevalue(user))

    response = client.post(
        reverse("practice_settings", args=[practice.slug]),
        {"name": practice.name, "timezone": practice.timezone, "quiet_hours_start": "23:00"},
    )

    assert response.status_code == 403
    practice.refresh_from_db()
    assert practice.quiet_hours_start == datetime.time(20, 0)


# --- The broker keeps what it is given (checklist 22) ----------------------------------------


@pytest.fixture
def redis_server(tmp_path):
    """Start a redis-server of our own on a free port: `redis_server(*flags) -> url`."""
    import socket
    import subprocess
    import time

    from tests.reminder_support import free_port

    processes = []

    def start(*flags: str) -> str:
        port = free_port()
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--dir", str(tmp_path), *flags]
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"redis://127.0.0.1:{port}/0"
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    yield start
    for process in processes:
        process.kill()
        process.wait()


def test_a_durable_broker_raises_no_warning(redis_server):
    from coordinator.celery import broker_durability_problems

    url = redis_server(
        "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction"
    )

    assert broker_durability_problems(url) == []


def test_a_broker_that_can_lose_tasks_is_named(redis_server):
    from coordinator.celery import broker_durability_problems

    url = redis_server("--appendonly", "no", "--maxmemory-policy", "allkeys-lru")

    problems = broker_durability_problems(url)

    assert len(problems) == 2
    assert "allkeys-lru" in problems[0]
    assert "append-only file" in problems[1]


def test_an_unreachable_broker_is_reported_not_raised():
    from coordinator.celery import broker_durability_problems
    from tests.reminder_support import free_port

    (problem,) = broker_durability_problems(f"redis://127.0.0.1:{free_port()}/0")

    assert problem.startswith("Could not read the Redis configuration")
