"""Automatic reminders: the sweep claims due rows, a send checks everything again and sends once.

Texts go to the file backend (one file per idempotency key) or to a fake provider speaking
Twilio's API; emails to Django's locmem outbox or a local SMTP server. Tasks run eagerly here;
tests/test_reminders_worker.py runs them on real workers.
"""

import datetime
import re
import threading

import psycopg
import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from plans import reminders
from plans.followup_models import (
    Cadence,
    CadenceStep,
    FollowUpStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Touch,
    TouchOutcome,
)
from plans.followup_services import BENEFITS_STEPS, DEFAULT_STEPS, default_cadence
from plans.models import PlanStatus, TreatmentPlan
from plans.services import option_accept
from plans.tasks import send_reminder
from tests.reminder_support import (
    CROWN,
    SID,
    TOKEN,
    FakeProvider,
    free_port,
    make_due,
    no_quiet_hours,
    presented_plan,
    seed_due_reminders,
    start_fake_provider,
)

LINK = "https://smile-north.example/your-plan"


@pytest.fixture
def sms_dir(settings, tmp_path):
    """Texts go to files; the plan link is a placeholder page."""
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_DIR = str(tmp_path / "sms")
    settings.PATIENT_LINK_BASE_URL = LINK
    return tmp_path / "sms"


def texts(directory) -> list:
    return sorted(directory.glob("*.json")) if directory.exists() else []


@pytest.fixture
def reachable(patient):
    patient.email_consent = True
    patient.sms_consent = True
    patient.save()
    return patient


@pytest.fixture
def plan(practice, reachable, dave, alice):
    no_quiet_hours(practice)
    return presented_plan(practice, reachable, dave, alice)


@pytest.fixture
def provider():
    fake = FakeProvider()
    server = start_fake_provider(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def twilio(settings, provider):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_BASE_URL = provider.url
    settings.SMS_ACCOUNT_SID = SID
    settings.SMS_AUTH_TOKEN = TOKEN
    settings.SMS_FROM_NUMBER = "+13125550000"
    return provider


def status_of(reminder: Reminder) -> str:
    with scopes_disabled():
        reminder.refresh_from_db()
    return reminder.status


# --- The sweep -----------------------------------------------------------------------------


def test_presenting_a_plan_leads_to_one_email_in_the_practice_s_words(
    plan, sms_dir, django_capture_on_commit_callbacks
):
    reminder = make_due(plan, "email")

    with django_capture_on_commit_callbacks(execute=True):
        result = reminders.reminders_sweep()

    assert result.claimed == 1
    assert status_of(reminder) == ReminderStatus.SENT
    (email,) = mail.outbox
    assert email.to == ["maria.gomez@example.net"]
    assert email.subject == "Your plan at Smile North Dental"
    assert email.from_email == "Smile North Dental <no-reply@localhost>"
    assert "Hello Maria," in email.body
    assert LINK in email.body
    assert email.extra_headers["Message-ID"] == reminder.provider_id
    assert reminder.provider_id == f"<reminder-{reminder.pk}@localhost>"
    with scopes_disabled():
        touch = Touch.objects.get(reminder=reminder)
        event = AuditEvent.objects.get(action="reminder.sent", object_id=str(reminder.pk))
    assert (touch.channel, touch.outcome, touch.by) == ("email", TouchOutcome.SENT, None)
    assert event.system_actor == reminders.SYSTEM_ACTOR
    assert event.patient_id == plan.patient_id

    with django_capture_on_commit_callbacks(execute=True):
        again = reminders.reminders_sweep()

    assert again.claimed == 0
    assert len(mail.outbox) == 1


def test_the_sweep_claims_only_due_automatic_reminders(
    practice, alice, sms_dir, django_capture_on_commit_callbacks
):
    due_text, due_email, later, call, call_back, sent = (
        seed_due_reminders(practice, alice, count=1, channel=channel)[0]
        for channel in ("sms", "email", "sms", "call", "call", "sms")
    )
    with scopes_disabled():
        Reminder.objects.filter(pk=later.pk).update(
            due_at=timezone.now() + datetime.timedelta(minutes=5)
        )
        Reminder.objects.filter(pk=call_back.pk).update(kind=ReminderKind.CALL_BACK)
        Reminder.objects.filter(pk=sent.pk).update(status=ReminderStatus.SENT)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claimed = reminders.reminders_claim_due(now=timezone.now(), limit=100)

    assert claimed == 2
    assert len(callbacks) == 1  # one callback enqueues the batch after the commit
    assert [status_of(r) for r in (due_text, due_email)] == ["queued", "queued"]
    assert {status_of(r) for r in (later, call, call_back)} == {"pending"}
    assert due_text.claimed_at is not None


def test_nothing_is_enqueued_when_the_claim_rolls_back(
    practice, alice, sms_dir, django_capture_on_commit_callbacks
):
    (reminder,) = seed_due_reminders(practice, alice, count=1)

    def claim_then_fail():
        with transaction.atomic():
            reminders.reminders_claim_due(now=timezone.now(), limit=10)
            raise RuntimeError("the sweep's transaction failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        claim_then_fail()

    assert callbacks == []
    assert status_of(reminder) == ReminderStatus.PENDING
    assert texts(sms_dir) == []


def test_the_sweep_claims_in_batches(
    practice, alice, sms_dir, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_SWEEP_BATCH = 4
    seed_due_reminders(practice, alice, count=10)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = reminders.reminders_sweep()

    assert result.claimed == 10
    assert len(callbacks) == 3  # 4 + 4 + 2, one transaction each
    assert len(texts(sms_dir)) == 10


def test_reminders_left_queued_or_sending_are_sent_again(
    practice, alice, sms_dir, django_capture_on_commit_callbacks
):
    lost, crashed, recent = seed_due_reminders(practice, alice, count=3)
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    with scopes_disabled():
        Reminder.objects.filter(pk=lost.pk).update(status="queued", claimed_at=long_ago)
        Reminder.objects.filter(pk=crashed.pk).update(
            status="sending", claimed_at=long_ago, attempts=1
        )
        Reminder.objects.filter(pk=recent.pk).update(status="queued", claimed_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        requeued = reminders.reminders_requeue_stuck(now=timezone.now(), limit=10)

    assert requeued == 2
    assert [status_of(r) for r in (lost, crashed, recent)] == ["sent", "sent", "queued"]
    assert len(texts(sms_dir)) == 2


def test_the_sweep_closes_plans_nobody_answered(plan, sms_dir, django_capture_on_commit_callbacks):
    with scopes_disabled():
        plan.reminders.update(
            due_at=timezone.now() - datetime.timedelta(days=30), status=ReminderStatus.DONE
        )

    with django_capture_on_commit_callbacks(execute=True):
        result = reminders.reminders_sweep()

    plan.refresh_from_db()
    assert result.closed == 1
    assert plan.status == PlanStatus.CLOSED


# --- Sending one ---------------------------------------------------------------------------


def test_sending_twice_is_one_text_and_one_sent(plan, sms_dir):
    reminder = make_due(plan, "sms")

    first = send_reminder.delay(str(reminder.pk)).get()
    second = send_reminder.delay(str(reminder.pk)).get()

    assert (first, second) == ("sent", "sent")
    (text,) = texts(sms_dir)
    assert text.name == f"{reminder.pk}.json"
    assert status_of(reminder) == ReminderStatus.SENT
    assert reminder.attempts == 1
    assert reminder.provider_id == f"file-{reminder.pk}"
    with scopes_disabled():
        assert Touch.objects.filter(plan=plan, outcome=TouchOutcome.SENT).count() == 1


def test_a_plan_accepted_before_sending_gets_no_reminder(plan, sms_dir, alice):
    reminder = make_due(plan, "sms")
    reminders.reminders_claim_due(now=timezone.now(), limit=10)
    assert status_of(reminder) == ReminderStatus.QUEUED

    with scopes_disabled():
        option_accept(option=plan.options.get(), request=None, by=alice)

    assert send_reminder.delay(str(reminder.pk)).get() == ReminderStatus.CANCELLED
    assert texts(sms_dir) == []


def test_the_send_itself_sees_a_plan_decided_a_moment_ago(plan, sms_dir):
    # As if the plan changed between the claim and the send without its follow-up stopping:
    # the send reads the plan under the lock and does not trust the follow-up alone.
    reminder = make_due(plan, "sms")
    reminders.reminders_claim_due(now=timezone.now(), limit=10)
    with scopes_disabled():
        TreatmentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ACCEPTED)

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.CANCELLED
    assert reminder.last_error == ""  # the in-memory copy; the row says why
    with scopes_disabled():
        reminder.refresh_from_db()
    assert reminder.last_error == "The plan is accepted: nothing to remind."
    assert texts(sms_dir) == []


def test_a_stopped_follow_up_sends_nothing(plan, sms_dir):
    reminder = make_due(plan, "sms")
    with scopes_disabled():
        plan.follow_ups.update(status=FollowUpStatus.STOPPED)

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.CANCELLED
    assert texts(sms_dir) == []


@pytest.mark.parametrize(
    ("channel", "change", "why"),
    [
        ("sms", {"sms_consent": False}, "The patient has not agreed to text messages."),
        ("sms", {"phone": ""}, "The patient has no phone number."),
        ("email", {"email_consent": False}, "The patient has not agreed to email."),
        ("email", {"email": ""}, "The patient has no email address."),
        ("sms", {"reminders_opted_out_at": "now"}, "The patient opted out of reminders."),
        ("email", {"archived_at": "now"}, "The patient is archived."),
    ],
)
def test_without_consent_or_an_address_the_reminder_is_skipped(
    plan, reachable, sms_dir, channel, change, why
):
    reminder = make_due(plan, channel)
    for field, value in change.items():
        setattr(reachable, field, timezone.now() if value == "now" else value)
    reachable.save()

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SKIPPED
    with scopes_disabled():
        reminder.refresh_from_db()
    assert reminder.last_error == why
    assert texts(sms_dir) == []
    assert mail.outbox == []


# Monday 2 March 2026 in Chicago (CST, UTC-6).
@pytest.mark.parametrize(
    ("now", "channel", "expected"),
    [
        # 21:30 on Monday: the text waits until 8:00 on Tuesday.
        ("2026-03-03T03:30:00+00:00", "sms", "2026-03-03T14:00:00+00:00"),
        # 6:00 on Tuesday: until 8:00 the same morning.
        ("2026-03-03T12:00:00+00:00", "email", "2026-03-03T14:00:00+00:00"),
        # 10:00 on Sunday 1 March: texts wait until Monday 8:00.
        ("2026-03-01T16:00:00+00:00", "sms", "2026-03-02T14:00:00+00:00"),
    ],
)
def test_quiet_hours_put_the_reminder_off(plan, practice, sms_dir, now, channel, expected):
    practice.quiet_hours_start = datetime.time(20, 0)
    practice.quiet_hours_end = datetime.time(8, 0)
    practice.texts_on_sundays = False
    practice.save()
    with scopes_disabled():
        reminder = Reminder.objects.get(plan=plan, channel=channel)

    with time_machine.travel(now, tick=False), scopes_disabled():
        Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now())
        assert reminders.reminder_send(reminder_id=str(reminder.pk)) == "deferred"

    with scopes_disabled():
        reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.due_at == datetime.datetime.fromisoformat(expected)
    assert (reminder.claimed_at, reminder.attempts) == (None, 0)
    assert texts(sms_dir) == []


def test_an_email_may_go_out_on_a_sunday(plan, practice, sms_dir):
    practice.quiet_hours_start = datetime.time(20, 0)
    practice.quiet_hours_end = datetime.time(8, 0)
    practice.save()
    with scopes_disabled():
        reminder = Reminder.objects.get(plan=plan, channel="email")

    with time_machine.travel("2026-03-01T16:00:00+00:00", tick=False), scopes_disabled():
        Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now())
        assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT

    assert len(mail.outbox) == 1


def test_a_late_message_for_a_reminder_put_off_sends_nothing(plan, sms_dir):
    reminder = make_due(plan, "sms")
    with scopes_disabled():
        Reminder.objects.filter(pk=reminder.pk).update(
            due_at=timezone.now() + datetime.timedelta(hours=9)
        )

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == "not due"
    assert status_of(reminder) == ReminderStatus.PENDING


def test_a_send_cut_off_after_the_provider_took_it_ends_sent_once(plan, sms_dir):
    # The worker died after the provider took the text and before the commit: the row says
    # sending. The next try sends again with the same key, and the provider keeps one.
    reminder = make_due(plan, "sms")
    with scopes_disabled():
        Reminder.objects.filter(pk=reminder.pk).update(status="sending", attempts=1)
    from coordinator.sms import send_sms

    send_sms("+13125550100", "the first try", str(reminder.pk))

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT
    (text,) = texts(sms_dir)
    assert "the first try" in text.read_text()
    assert status_of(reminder) == ReminderStatus.SENT
    assert reminder.attempts == 2


def test_a_reminder_another_task_is_sending_is_left_to_it(plan, sms_dir):
    reminder = make_due(plan, "sms")
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [reminders._advisory_key(str(reminder.pk))])

        assert reminders.reminder_send(reminder_id=str(reminder.pk)) == "busy"

    assert status_of(reminder) == ReminderStatus.PENDING
    assert texts(sms_dir) == []
    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT


def test_after_too_many_tries_the_reminder_is_failed(plan, sms_dir, settings):
    reminder = make_due(plan, "sms")
    with scopes_disabled():
        Reminder.objects.filter(pk=reminder.pk).update(
            status="sending", attempts=settings.REMINDER_MAX_ATTEMPTS
        )

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.FAILED
    with scopes_disabled():
        reminder.refresh_from_db()
    assert reminder.last_error == f"Gave up after {settings.REMINDER_MAX_ATTEMPTS} tries."
    assert texts(sms_dir) == []


def test_a_missing_reminder_is_nothing_to_do(db):
    assert reminders.reminder_send(reminder_id="00000000-0000-0000-0000-000000000000") == "missing"


# --- Provider failures -----------------------------------------------------------------------


def test_a_provider_down_for_a_moment_is_tried_again_with_the_same_key(plan, twilio):
    twilio.script = [(503, {"code": 20500, "message": "Service unavailable"})]
    reminder = make_due(plan, "sms")

    with pytest.raises(reminders.ReminderTemporaryError):
        reminders.reminder_send(reminder_id=str(reminder.pk))

    assert status_of(reminder) == ReminderStatus.SENDING
    assert "503" in reminder.last_error
    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT
    assert [r["key"] for r in twilio.requests] == [str(reminder.pk)] * 2
    assert list(twilio.delivered) == [str(reminder.pk)]
    assert status_of(reminder) == ReminderStatus.SENT
    assert reminder.provider_id.startswith("SM")
    assert reminder.last_error == ""


def test_the_task_retries_with_backoff_then_leaves_the_reminder_failed(plan, twilio, settings):
    twilio.script = [(503, {})] * 6  # the first try and five retries
    reminder = make_due(plan, "sms")
    settings.CELERY_TASK_EAGER_PROPAGATES = False  # else the first retry raises here

    # Eagerly, each retry runs at once instead of after its countdown.
    result = send_reminder.apply(args=[str(reminder.pk)])

    assert result.failed()
    assert len(twilio.requests) == 6
    assert twilio.delivered == {}
    with scopes_disabled():
        reminder.refresh_from_db()
        assert AuditEvent.objects.filter(action="reminder.failed").count() == 1
    assert reminder.status == ReminderStatus.FAILED
    assert reminder.last_error.startswith("ReminderTemporaryError: SMS provider answered 503")
    assert reminder.attempts == 6


def test_a_number_the_provider_refuses_is_failed_and_shows_as_bounced(plan, twilio):
    twilio.script = [(400, {"code": 21211, "message": "Invalid 'To' Phone Number"})]
    reminder = make_due(plan, "sms")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.FAILED

    with scopes_disabled():
        reminder.refresh_from_db()
        touch = Touch.objects.get(reminder=reminder)
    assert "21211" in reminder.last_error
    assert touch.outcome == TouchOutcome.BOUNCED
    assert len(twilio.requests) == 1


def test_a_recipient_who_texted_stop_to_the_provider_is_skipped(plan, twilio):
    twilio.script = [(400, {"code": 21610, "message": "Attempt to send to unsubscribed"})]
    reminder = make_due(plan, "sms")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SKIPPED


def test_without_a_text_provider_texts_are_skipped(plan, settings):
    settings.SMS_BACKEND = "none"
    reminder = make_due(plan, "sms")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SKIPPED
    with scopes_disabled():
        reminder.refresh_from_db()
    assert "not set up" in reminder.last_error


class _Refusing:
    """An SMTP server that answers RCPT TO with `answer`."""

    def __init__(self, answer: str):
        self.answer = answer
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.answer:
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content.decode())
        return "250 Message accepted"


@pytest.fixture
def smtp(settings):
    servers = []

    def start(answer: str = "") -> _Refusing:
        handler = _Refusing(answer)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        return handler

    yield start
    for controller in servers:
        controller.stop()


def test_an_email_goes_over_smtp_with_its_message_id(plan, smtp, sms_dir):
    server = smtp()
    reminder = make_due(plan, "email")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT

    (message,) = server.messages
    assert f"Message-ID: <reminder-{reminder.pk}@localhost>" in message
    assert "Subject: Your plan at Smile North Dental" in message


def test_an_address_the_mail_server_refuses_is_failed_and_bounced(plan, smtp, sms_dir):
    smtp("550 5.1.1 No such user")
    reminder = make_due(plan, "email")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.FAILED
    with scopes_disabled():
        assert Touch.objects.get(reminder=reminder).outcome == TouchOutcome.BOUNCED


def test_a_mail_server_asking_to_come_back_later_is_tried_again(plan, smtp, sms_dir):
    smtp("451 4.3.0 Try again later")
    reminder = make_due(plan, "email")

    with pytest.raises(reminders.ReminderTemporaryError):
        reminders.reminder_send(reminder_id=str(reminder.pk))
    assert status_of(reminder) == ReminderStatus.SENDING


def test_a_mail_server_that_is_down_is_tried_again(plan, settings, sms_dir):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    reminder = make_due(plan, "email")

    with pytest.raises(reminders.ReminderTemporaryError):
        reminders.reminder_send(reminder_id=str(reminder.pk))


# --- Concurrency on PostgreSQL ---------------------------------------------------------------


def _in_threads(count: int, work) -> list:
    """Run `work()` in `count` threads released at once; each closes its own connections."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # reported below, with the thread's exception
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_sweeps_at_once_send_each_reminder_once(transactional_db, practice, alice, sms_dir):
    # Checklist 19 and 21: two beats (or one beat and a late tick) sweeping together.
    from django.conf import settings

    settings.REMINDER_SWEEP_BATCH = 25
    seed_due_reminders(practice, alice, count=300)

    results = _in_threads(2, reminders.reminders_sweep)

    assert sum(result.claimed for result in results) == 300
    assert all(result.claimed > 0 for result in results), results  # both took part
    assert len(texts(sms_dir)) == 300
    with scopes_disabled():
        assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 300
        assert Touch.objects.filter(outcome=TouchOutcome.SENT).count() == 300


def test_two_tasks_of_one_reminder_at_once_send_it_once(transactional_db, practice, alice, twilio):
    # A slow provider: the second task arrives while the first is still talking to it.
    no_quiet_hours(practice)
    twilio.delay = 0.5
    (reminder,) = seed_due_reminders(practice, alice, count=1)

    results = _in_threads(2, lambda: reminders.reminder_send(reminder_id=str(reminder.pk)))

    assert sorted(results) == ["busy", "sent"]
    assert len(twilio.requests) == 1
    assert status_of(reminder) == ReminderStatus.SENT


# --- What the messages say (checklist 14) ----------------------------------------------------

AMOUNT = re.compile(r"\$|\d[\d,]*\.\d\d|\b1,?250\b")


def _all_templates(practice) -> list[tuple[str, str, str]]:
    """(channel, subject, body) of every message template a reminder can use."""
    templates = [("sms", "", reminders.DEFAULT_BODIES["sms"])]
    templates.append(("email", reminders.DEFAULT_SUBJECT, reminders.DEFAULT_BODIES["email"]))
    for _number, _days, _after, channel, subject, body in (*DEFAULT_STEPS, *BENEFITS_STEPS):
        if channel in reminders.AUTOMATIC_CHANNELS:
            templates.append((channel, subject, body))
    with scopes_disabled():
        default_cadence(practice)
        for step in CadenceStep.objects.filter(practice=practice):
            if step.channel in reminders.AUTOMATIC_CHANNELS:
                templates.append((step.channel, step.subject, step.body))
    return templates


def test_no_template_puts_treatment_or_amounts_in_a_message(plan, practice, reachable, sms_dir):
    reachable.birth_date = datetime.date(1961, 7, 14)
    reachable.save()
    code, description, fee = CROWN
    with scopes_disabled():
        reminder = Reminder.objects.select_related("follow_up", "plan__patient", "practice").get(
            plan=plan, channel="sms"
        )
        cadence = Cadence.objects.create(practice=practice, name="Every template")
    templates = _all_templates(practice)
    assert len(templates) >= 4

    for number, (channel, subject, body) in enumerate(templates, start=1):
        with scopes_disabled():
            CadenceStep.objects.create(
                practice=practice,
                cadence=cadence,
                number=number,
                days=1,
                channel=channel,
                subject=subject,
                body=body,
            )
        reminder.channel = channel
        reminder.step_number = number
        reminder.follow_up.cadence = cadence
        message = reminders.reminder_message(reminder)
        text = f"{message.subject}\n{message.body}"

        assert "Maria" in text
        for private in (code, description, "crown", "Gomez", "1961", "07/14", "3"):
            assert private.lower() not in text.lower(), (private, text)
        assert not AMOUNT.search(text), text


def test_a_template_fills_in_only_its_three_fields(plan, sms_dir, reachable):
    reachable.preferred_name = "Mari"
    reachable.save()
    reminder = make_due(plan, "sms")
    with scopes_disabled():
        reminder = Reminder.objects.select_related("follow_up", "plan__patient", "practice").get(
            pk=reminder.pk
        )
        CadenceStep.objects.filter(
            cadence=reminder.follow_up.cadence, number=reminder.step_number
        ).update(body="{first_name.__class__} {plan.total} {first_name} at {practice}")

    message = reminders.reminder_message(reminder)

    assert message.body == (
        "{first_name.__class__} {plan.total} Mari at Smile North Dental Reply STOP to opt out."
    )


def test_a_step_without_text_uses_the_default(plan, sms_dir):
    reminder = make_due(plan, "sms")
    with scopes_disabled():
        CadenceStep.objects.filter(cadence=reminder.follow_up.cadence).update(body="")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT
    (text,) = texts(sms_dir)
    assert (
        "Hi Maria, this is Smile North Dental. Your plan is ready when you are: "
        f"{LINK} Reply STOP to opt out."
    ) in text.read_text()


def test_a_call_is_never_sent_automatically(practice, alice, sms_dir):
    (call,) = seed_due_reminders(practice, alice, count=1, channel="call")

    assert reminders.reminder_send(reminder_id=str(call.pk)) == "not automatic"
    assert status_of(call) == ReminderStatus.PENDING
    assert mail.outbox == []
