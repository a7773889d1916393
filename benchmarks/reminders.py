"""How fast are automatic reminders claimed, dispatched and sent?

Creates a scratch PostgreSQL database (dropped at the end, also on failure), seeds 10,000
presented plans each with one due text reminder, and measures:

1. one sweep (`plans.reminders.reminders_sweep`, what beat runs every minute): claiming the
   10,000 rows (batches of REMINDER_SWEEP_BATCH, SELECT … FOR UPDATE SKIP LOCKED) and
   publishing one `send_reminder` message each to Redis, on a queue of its own;
2. the send rate of N real `celery worker` processes (solo pool, BENCH_WORKERS, default 2) on
   that queue with the console SMS backend, over at most BENCH_SEND_SECONDS (default 60);
3. the send rate of `reminder_send` called in this process, one after another, on 500 rows.

Prints a summary, then one JSON line with the figures.

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/python benchmarks/reminders.py
"""

# isort: off
from harness import run_in_scratch_database  # first: it sets Django up
# isort: on

import datetime
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.celery import app
from coordinator.models import Practice, User
from patients.models import Patient
from plans import reminders
from plans.followup_models import Cadence, CadenceStep, FollowUp, Reminder, ReminderStatus
from plans.models import PlanStatus, TreatmentPlan

DUE = 10_000
IN_PROCESS = 500
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SEND_SECONDS = float(os.environ.get("BENCH_SEND_SECONDS", "60"))


def main() -> None:
    if not app.conf.broker_url.startswith(("redis://", "rediss://")):
        sys.exit("benchmarks/reminders.py needs CELERY_BROKER_URL=redis://...")
    run_in_scratch_database("reminders", run)


def seed(count: int) -> Practice:
    now = timezone.now()
    practice = Practice.objects.create(
        slug="bench-reminders",
        name="Bench Dental",
        quiet_hours_start=datetime.time(0, 0),
        quiet_hours_end=datetime.time(0, 0),  # no quiet hours: the benchmark runs at any hour
        texts_on_sundays=True,
    )
    owner = User.objects.create_user("owner@bench.example", None, name="Bench Owner")
    with scopes_disabled():
        cadence = Cadence.objects.create(practice=practice, name="Bench", is_default=True)
        CadenceStep.objects.create(
            practice=practice,
            cadence=cadence,
            number=1,
            days=0,
            channel="sms",
            body="Hi {first_name}, this is {practice}: {plan_link}",
        )
        patients = Patient.objects.bulk_create(
            (
                Patient(
                    practice=practice,
                    first_name=f"Pat{n}",
                    last_name="Bench",
                    phone=f"+1312555{n % 10000:04d}",
                    sms_consent=True,
                )
                for n in range(count)
            ),
            batch_size=2000,
        )
        plans = TreatmentPlan.objects.bulk_create(
            (
                TreatmentPlan(
                    practice=practice,
                    patient=patient,
                    dentist=owner,
                    status=PlanStatus.PRESENTED,
                    diagnosed_at=now,
                    first_presented_at=now,
                )
                for patient in patients
            ),
            batch_size=2000,
        )
        follow_ups = FollowUp.objects.bulk_create(
            (
                FollowUp(practice=practice, plan=plan, cadence=cadence, owner=owner, anchor_at=now)
                for plan in plans
            ),
            batch_size=2000,
        )
        Reminder.objects.bulk_create(
            (
                Reminder(
                    practice=practice,
                    plan=follow_up.plan,
                    follow_up=follow_up,
                    step_number=1,
                    channel="sms",
                    due_at=now - datetime.timedelta(minutes=1),
                )
                for follow_up in follow_ups
            ),
            batch_size=2000,
        )
    return practice


def sent_count() -> int:
    with scopes_disabled():
        return Reminder.objects.filter(status=ReminderStatus.SENT).count()


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{quote(db['NAME'])}"
    )


def start_workers(queue: str, logs: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "REMINDER_QUEUE": queue,
        "SMS_BACKEND": "console",
        "DJANGO_DEBUG": "true",
    }
    processes = []
    for n in range(WORKERS):
        command = [sys.executable, "-m", "celery", "-A", "coordinator", "worker"]
        command += ["--pool", "solo", "--without-mingle", "--without-gossip"]
        command += ["--without-heartbeat", "-n", f"bench{n}-{os.getpid()}@%h", "-Q", queue]
        command += ["-l", "info"]
        with open(logs / f"worker{n}.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
                )
            )
    deadline = time.monotonic() + 60
    while not all(" ready." in (logs / f"worker{n}.log").read_text() for n in range(WORKERS)):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise SystemExit("a benchmark worker did not start; see " + str(logs))
        time.sleep(0.2)
    return processes


def delete_queue(queue: str) -> None:
    with app.connection_for_write() as conn:
        declared = app.amqp.queues[queue].bind(conn.default_channel)
        declared.declare()
        declared.delete()


def run() -> dict:
    queue = f"bench-reminders-{os.getpid()}"
    settings.REMINDER_QUEUE = queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.SMS_BACKEND = "console"
    app.conf.task_default_queue = queue

    started = time.perf_counter()
    seed(DUE)
    seeded = time.perf_counter() - started

    publishing = 0.0
    enqueue = reminders._enqueue

    def timed_enqueue(ids):
        nonlocal publishing
        began = time.perf_counter()
        enqueue(ids)
        publishing += time.perf_counter() - began

    # Measure the publishing part of the sweep, and let this one sweep take all 10,000 (beat's
    # sweeps stop claiming after SWEEP_SECONDS_BUDGET; the next minute's sweep goes on).
    budget = reminders.SWEEP_SECONDS_BUDGET
    reminders._enqueue = timed_enqueue
    reminders.SWEEP_SECONDS_BUDGET = 3600
    try:
        began = time.perf_counter()
        result = reminders.reminders_sweep()
        sweep = time.perf_counter() - began
    finally:
        reminders._enqueue = enqueue
        reminders.SWEEP_SECONDS_BUDGET = budget
    assert result.claimed == DUE, result

    with tempfile.TemporaryDirectory() as directory:
        logs = Path(directory)
        workers = start_workers(queue, logs)
        try:
            began = time.perf_counter()
            while sent_count() < DUE and time.perf_counter() - began < SEND_SECONDS:
                time.sleep(0.5)
            worker_seconds = time.perf_counter() - began
            by_workers = sent_count()
        finally:
            for process in workers:
                process.terminate()
            for process in workers:
                process.wait(timeout=30)
            delete_queue(queue)

    # In this process: rows not sent by the workers, put back to queued.
    with scopes_disabled():
        ids = list(
            Reminder.objects.exclude(status=ReminderStatus.SENT).values_list("pk", flat=True)[
                :IN_PROCESS
            ]
        )
        Reminder.objects.filter(pk__in=ids).update(status=ReminderStatus.QUEUED)
    logging.getLogger("coordinator.sms").setLevel(logging.WARNING)  # one line per text
    began = time.perf_counter()
    outcomes = [reminders.reminder_send(reminder_id=str(pk)) for pk in ids]
    in_process_seconds = time.perf_counter() - began
    assert set(outcomes) <= {"sent"}, set(outcomes)

    claim_seconds = sweep - publishing
    figures = {
        "benchmark": "reminders",
        "due": DUE,
        "batch": settings.REMINDER_SWEEP_BATCH,
        "seed_s": round(seeded, 1),
        "sweep_s": round(sweep, 2),
        "sweep_claim_s": round(claim_seconds, 2),
        "sweep_publish_s": round(publishing, 2),
        "claimed_per_sweep_budget": min(DUE, int(DUE * budget / sweep)),
        "workers": WORKERS,
        "worker_sent": by_workers,
        "worker_seconds": round(worker_seconds, 1),
        "worker_rate_per_s": round(by_workers / worker_seconds, 1),
        "in_process_sent": len(ids),
        "in_process_rate_per_s": round(len(ids) / in_process_seconds, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    print(f"seeded {DUE:,} due text reminders in {seeded:.1f} s")
    print(
        f"one sweep: {sweep:.2f} s to claim and dispatch {DUE:,} "
        f"(claiming {claim_seconds:.2f} s in batches of {settings.REMINDER_SWEEP_BATCH}, "
        f"publishing to Redis {publishing:.2f} s)"
    )
    print(
        f"  (a beat sweep stops claiming after {budget} s: about "
        f"{figures['claimed_per_sweep_budget']:,} per sweep at this speed)"
    )
    print(
        f"{WORKERS} worker processes (solo pool, console backend): {by_workers:,} sent in "
        f"{worker_seconds:.1f} s = {figures['worker_rate_per_s']}/s"
    )
    print(f"in-process, one after another: {len(ids)} sent at {figures['in_process_rate_per_s']}/s")
    print(f"load average while measuring: {figures['load_average_1m']} (2 cores)")
    return figures


if __name__ == "__main__":
    main()
