"""For the reminder tests: due reminders in bulk, and a fake SMS provider speaking Twilio's API."""

import base64
import datetime
import json
import os
import socket
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.models import Practice, User
from patients.models import Patient
from plans.followup_models import Cadence, CadenceStep, FollowUp, Reminder
from plans.models import PlanStatus, TreatmentPlan

SID = "AC00000000000000000000000000000001"
TOKEN = "test-auth-token-not-a-secret"
FROM_NUMBER = "+13125550000"
STEP_BODY = "Hi {first_name}, {practice} here. Your plan: {plan_link}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def no_quiet_hours(practice: Practice) -> None:
    """Reminders may go out at any hour and on Sundays (tests run at any time of day)."""
    practice.quiet_hours_start = practice.quiet_hours_end = datetime.time(0, 0)
    practice.texts_on_sundays = True
    practice.save(update_fields=["quiet_hours_start", "quiet_hours_end", "texts_on_sundays"])


def seed_due_reminders(
    practice: Practice,
    owner: User,
    *,
    count: int,
    channel: str = "sms",
    due_at: datetime.datetime | None = None,
) -> list[Reminder]:
    """`count` presented plans, each with an active follow-up and one due automatic reminder."""
    now = timezone.now()
    due_at = due_at or now - datetime.timedelta(minutes=1)
    tag = uuid.uuid4().hex[:6]
    with scopes_disabled():
        cadence = Cadence.objects.create(practice=practice, name=f"Seeded {tag}")
        CadenceStep.objects.create(
            practice=practice,
            cadence=cadence,
            number=1,
            days=0,
            channel=channel,
            subject="A note from {practice}",
            body=STEP_BODY,
        )
        patients = Patient.objects.bulk_create(
            Patient(
                practice=practice,
                first_name=f"Pat{i}",
                last_name=f"Seeded{tag}",
                email=f"pat{i}.{tag}@example.net",
                phone=f"+1312555{i % 10000:04d}",
                email_consent=True,
                sms_consent=True,
            )
            for i in range(count)
        )
        plans = TreatmentPlan.objects.bulk_create(
            TreatmentPlan(
                practice=practice,
                patient=patient,
                dentist=owner,
                status=PlanStatus.PRESENTED,
                diagnosed_at=now,
                first_presented_at=now,
            )
            for patient in patients
        )
        follow_ups = FollowUp.objects.bulk_create(
            FollowUp(practice=practice, plan=plan, cadence=cadence, owner=owner, anchor_at=now)
            for plan in plans
        )
        return Reminder.objects.bulk_create(
            Reminder(
                practice=practice,
                plan=follow_up.plan,
                follow_up=follow_up,
                step_number=1,
                channel=channel,
                due_at=due_at,
            )
            for follow_up in follow_ups
        )


@dataclass
class FakeProvider:
    """What the fake provider saw. It dedupes on Idempotency-Key, as the real backends should."""

    url: str = ""
    requests: list[dict] = field(default_factory=list)
    delivered: dict[str, dict] = field(default_factory=dict)
    # Answers to give, in order, before answering 201 to everything: (status, json body).
    script: list[tuple[int, dict]] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Hold the request number `hold_at` (1-based) until `release` is set; `held_port` is the
    # client's port, to find the process that sent it.
    hold_at: int | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    held_port: int | None = None
    held_key: str = ""
    arrived: int = 0


def start_fake_provider(provider: FakeProvider) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            key = self.headers.get("Idempotency-Key", "")
            record = {
                "path": self.path,
                "authorization": self.headers.get("Authorization", ""),
                "key": key,
                "form": form,
            }
            if provider.delay:
                time.sleep(provider.delay)
            with provider.lock:
                provider.arrived += 1
                hold = provider.arrived == provider.hold_at
            if hold:
                provider.held_port, provider.held_key = self.client_address[1], key
                provider.held.set()
                provider.release.wait(timeout=60)
            with provider.lock:
                provider.requests.append(record)
                status, answer = provider.script.pop(0) if provider.script else (201, {})
                if status == 201:
                    provider.delivered.setdefault(key, record)
                    answer = {"sid": f"SM{uuid.uuid5(uuid.NAMESPACE_URL, key).hex}"}
            payload = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender died while we held its message: we took it all the same

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    provider.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def basic_auth(sid: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


# --- A plan presented through the real services ----------------------------------------------

CROWN = ("D2740", "Porcelain crown (cap) over the whole tooth", "1250.00")


def a_request(user: User):
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.user = user
    return request


def presented_plan(practice: Practice, patient: Patient, dentist: User, presenter: User):
    """A crown plan presented now by `presenter`: its follow-up starts on the default cadence
    (2 days call, 2 weeks email, 2 months text)."""
    from decimal import Decimal

    from plans import services
    from plans.models import ProcedureCode

    code, description, fee = CROWN
    with scopes_disabled():
        crown, _ = ProcedureCode.objects.get_or_create(
            practice=practice,
            code=code,
            defaults={
                "category": "crowns",
                "description": description,
                "fee": Decimal(fee),
                "site": "tooth",
            },
        )
        plan = services.plan_create(
            practice=practice, patient=patient, dentist=dentist, request=a_request(dentist)
        )
        option = plan.options.get()
        services.procedure_add(
            option=option,
            phase=option.phases.get(),
            code=crown,
            tooth="3",
            request=a_request(dentist),
            expected_version=plan.version,
        )
        plan.refresh_from_db()
        services.plan_present(
            plan=plan,
            request=a_request(presenter),
            expected_version=plan.version,
            presented_by=presenter,
            mode="in_person",
        )
        plan.refresh_from_db()
        return plan


def make_due(plan: TreatmentPlan, channel: str) -> Reminder:
    """The plan's automatic reminder on `channel`, due a minute ago."""
    with scopes_disabled():
        reminder = Reminder.objects.get(plan=plan, channel=channel, status="pending")
        reminder.due_at = timezone.now() - datetime.timedelta(minutes=1)
        reminder.save(update_fields=["due_at"])
        return reminder


def pid_with_local_port(port: int, pids: list[int]) -> int | None:
    """Which of `pids` owns the TCP socket bound to local `port` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if any(
            link[len("socket:[") : -1] in inodes for link in links if link.startswith("socket:[")
        ):
            return pid
    return None
