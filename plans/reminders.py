"""Automatic follow-up reminders (email and text): claiming due rows and sending each once.

The reminder row is the truth; Redis only carries work. Its status moves
pending → queued (a sweep claimed it) → sending (a worker is about to call the provider) → sent,
or to cancelled (the follow-up stopped), skipped (no consent, opted out, no address) or failed
(a human looks at `last_error`).

- `reminders_sweep` (beat, every minute) claims due rows with `SELECT … FOR UPDATE SKIP LOCKED`
  in bounded batches, marks them queued and enqueues one `send_reminder` task each after the
  commit. It also re-enqueues rows left queued or sending for `REMINDER_STUCK_SECONDS`: a worker
  died, or Redis lost the message. That, not Redis persistence, is why no reminder is lost.
- `reminder_send` checks everything again under the row lock, marks the row sending and commits
  before the provider call, then marks it sent and records the touch. A task that finds the row
  sending (its worker died mid-send, or the provider failed and this is the retry) sends again
  with the same idempotency key, the reminder's id: the text backends dedupe on it and an email
  carries it as its Message-ID. A PostgreSQL advisory lock keeps two tasks of one reminder from
  sending at the same time.

Lock order follows `plans.followup_services` (plan, then follow-up, then reminders): a send holds
its plan row FOR SHARE while it checks and marks the reminder, so a plan accepted or closed a
moment earlier is seen and the reminder is cancelled instead of sent.
"""

import dataclasses
import datetime
import logging
import re
import smtplib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from kombu.exceptions import KombuError

from coordinator.audit import audit_record
from coordinator.sms import (
    SmsNotConfigured,
    SmsRecipientOptedOut,
    SmsRejected,
    SmsTemporaryError,
    send_sms,
)
from plans.followup_models import (
    CadenceStep,
    Channel,
    FollowUpStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    TouchOutcome,
)
from plans.followup_services import close_unresponsive_plans, touch_record
from plans.models import TreatmentPlan
from plans.quiet_hours import next_allowed
from plans.states import OPEN_STATUSES

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "celery:reminders"
AUTOMATIC_CHANNELS = (Channel.EMAIL, Channel.SMS)
# A row in one of these states is finished: a task that finds it does nothing.
FINISHED = frozenset(
    {
        ReminderStatus.SENT,
        ReminderStatus.DONE,
        ReminderStatus.FAILED,
        ReminderStatus.CANCELLED,
        ReminderStatus.SKIPPED,
    }
)
# A sweep stops claiming new batches after this long, well within the beat interval.
SWEEP_SECONDS_BUDGET = 40

# Used when a cadence step has no text of its own. Like every template: first name, practice and
# plan link only; never treatment, amounts or a diagnosis (texts and emails are unencrypted).
DEFAULT_SUBJECT = "A note from {practice}"
DEFAULT_BODIES = {
    Channel.EMAIL: (
        "Hello {first_name},\n\nYour plan is here whenever you want to look at it again or ask "
        "us a question:\n\n{plan_link}\n\nReply to this email or give us a call.\n\n{practice}"
    ),
    Channel.SMS: (
        "Hi {first_name}, this is {practice}. Your plan is ready when you are: {plan_link}"
    ),
}
SMS_OPT_OUT_NOTE = "Reply STOP to opt out."
_PLACEHOLDER = re.compile(r"\{(first_name|practice|plan_link)\}")


class ReminderTemporaryError(Exception):
    """The provider could not take the message now; the task retries it with backoff."""


class _Refused(Exception):
    """The provider refused for good: the reminder ends `status`, a bounce is on the timeline."""

    def __init__(self, status: str, message: str, bounced: bool) -> None:
        super().__init__(message)
        self.status = status
        self.bounced = bounced


# --- Messages ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Message:
    subject: str
    body: str


def render_text(template: str, *, first_name: str, practice: str, plan_link: str) -> str:
    """Fill in the three placeholders a template may use; any other brace stays as typed."""
    values = {"first_name": first_name, "practice": practice, "plan_link": plan_link}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template).strip()


def plan_link() -> str:
    """What `{plan_link}` becomes. Until patient links exist: PATIENT_LINK_BASE_URL as it is,
    with nothing about the patient or the plan in it."""
    return settings.PATIENT_LINK_BASE_URL


def reminder_message(reminder: Reminder) -> Message:
    """The subject and body of an automatic reminder, from its cadence step's templates."""
    step = None
    if reminder.follow_up is not None and reminder.step_number is not None:
        with scopes_disabled():  # the reminder's own cadence, found through the row itself
            step = CadenceStep.objects.filter(
                cadence_id=reminder.follow_up.cadence_id, number=reminder.step_number
            ).first()
    patient = reminder.plan.patient
    values = {
        "first_name": patient.preferred_name or patient.first_name,
        "practice": reminder.practice.name,
        "plan_link": plan_link(),
    }
    subject = render_text((step and step.subject) or DEFAULT_SUBJECT, **values)
    body = render_text((step and step.body) or DEFAULT_BODIES[reminder.channel], **values)
    if reminder.channel == Channel.SMS and "STOP" not in body.upper():
        body = f"{body} {SMS_OPT_OUT_NOTE}"
    return Message(subject=" ".join(subject.split()), body=body)


# --- The sweep -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SweepResult:
    claimed: int
    requeued: int
    closed: int


def _enqueue(reminder_ids: list[uuid.UUID]) -> None:
    """Hand the reminders to the broker. If it is down they stay queued: the sweep retries."""
    from plans.tasks import send_reminder  # plans.tasks calls into this module

    sent = 0
    try:
        with send_reminder.app.producer_or_acquire() as producer:
            for reminder_id in reminder_ids:
                send_reminder.apply_async((str(reminder_id),), producer=producer)
                sent += 1
    except (KombuError, OSError) as error:
        logger.warning(
            "Broker unavailable (%s): %d reminders stay queued until the sweep retries them.",
            error,
            len(reminder_ids) - sent,
        )


def _due_automatic(now: datetime.datetime):
    return Reminder.objects.filter(
        kind=ReminderKind.STEP, channel__in=AUTOMATIC_CHANNELS, due_at__lte=now
    )


def reminders_claim_due(*, now: datetime.datetime, limit: int) -> int:
    """Mark up to `limit` due pending reminders queued and enqueue their sends on commit."""
    with scopes_disabled(), transaction.atomic():
        ids = list(
            _due_automatic(now)
            .filter(status=ReminderStatus.PENDING)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids).update(status=ReminderStatus.QUEUED, claimed_at=now)
            transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def reminders_requeue_stuck(*, now: datetime.datetime, limit: int) -> int:
    """Enqueue again the reminders queued or sending for longer than REMINDER_STUCK_SECONDS.

    A message of a live task may still be on its way: sending a reminder twice is harmless
    (the task finds it sent), losing one is not.
    """
    stuck_before = now - datetime.timedelta(seconds=settings.REMINDER_STUCK_SECONDS)
    with scopes_disabled(), transaction.atomic():
        ids = list(
            Reminder.objects.filter(
                kind=ReminderKind.STEP,
                channel__in=AUTOMATIC_CHANNELS,
                status__in=(ReminderStatus.QUEUED, ReminderStatus.SENDING),
                claimed_at__lt=stuck_before,
            )
            .order_by("claimed_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Reminder.objects.filter(pk__in=ids).update(claimed_at=now)
            logger.warning("Re-enqueued %d reminders left queued or sending.", len(ids))
            transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def reminders_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """Claim every due reminder (batch by batch, within a time budget), re-enqueue stuck ones,
    and close plans whose follow-up ended without an answer."""
    now = now or timezone.now()
    batch = settings.REMINDER_SWEEP_BATCH
    deadline = time.monotonic() + SWEEP_SECONDS_BUDGET
    claimed = 0
    while time.monotonic() < deadline:
        count = reminders_claim_due(now=now, limit=batch)
        claimed += count
        if count < batch:
            break
    requeued = reminders_requeue_stuck(now=now, limit=batch)
    closed = close_unresponsive_plans(now)
    return SweepResult(claimed=claimed, requeued=requeued, closed=closed)


# --- Sending one -----------------------------------------------------------------------------


def _advisory_key(reminder_id: str) -> int:
    return int.from_bytes(uuid.UUID(str(reminder_id)).bytes[:8], "big", signed=True)


@contextmanager
def _only_sender(reminder_id: str) -> Iterator[bool]:
    """True while no other task sends this reminder: a session lock that dies with the worker's
    connection, so a killed worker never blocks the retry."""
    if connection.vendor != "postgresql":  # development on SQLite: one writer at a time anyway
        yield True
        return
    key = _advisory_key(reminder_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:
                logger.warning("Lost the connection holding a reminder lock; the lock went too.")


def _lock(reminder_id: str) -> Reminder | None:
    """The reminder row, locked, after its plan row FOR SHARE (see the module docstring)."""
    if connection.vendor == "postgresql":
        plans = connection.ops.quote_name(TreatmentPlan._meta.db_table)
        rows = connection.ops.quote_name(Reminder._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.id FROM {plans} p JOIN {rows} r ON r.plan_id = p.id "  # noqa: S608 our own table names
                "WHERE r.id = %s FOR SHARE OF p",
                [reminder_id],
            )
            if cursor.fetchone() is None:
                return None
    reminder = (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("practice", "plan__patient", "follow_up")
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is not None:
        reminder.plan.practice = reminder.practice  # the same row: spares a query per touch
    return reminder


def _stop_reason(reminder: Reminder) -> str:
    follow_up = reminder.follow_up
    if follow_up is None or follow_up.status != FollowUpStatus.ACTIVE:
        return "The follow-up stopped before this was sent."
    plan = reminder.plan
    if plan.closed_at is not None or plan.status not in OPEN_STATUSES:
        return f"The plan is {plan.get_status_display().lower()}: nothing to remind."
    return ""


def _skip_reason(reminder: Reminder) -> str:
    patient = reminder.plan.patient
    if patient.archived_at is not None:
        return "The patient is archived."
    if patient.reminders_opted_out_at is not None:
        return "The patient opted out of reminders."
    if reminder.channel == Channel.SMS:
        if not patient.sms_consent:
            return "The patient has not agreed to text messages."
        if not patient.phone:
            return "The patient has no phone number."
    else:
        if not patient.email_consent:
            return "The patient has not agreed to email."
        if not patient.email:
            return "The patient has no email address."
    return ""


def _allowed_from(reminder: Reminder, now: datetime.datetime) -> datetime.datetime:
    practice = reminder.practice
    return next_allowed(
        now,
        tz=practice.tzinfo,
        start=practice.quiet_hours_start,
        end=practice.quiet_hours_end,
        # Sundays are quiet for texts only; an email waits in the inbox.
        sundays=practice.texts_on_sundays or reminder.channel != Channel.SMS,
    )


def _end(reminder: Reminder, status: str, why: str) -> str:
    reminder.status = status
    reminder.last_error = why[:300]
    reminder.save(update_fields=["status", "last_error"])
    return status


def _prepare(reminder: Reminder, now: datetime.datetime) -> str:
    """Under the row lock: "" when the reminder is to be sent now (it is then marked sending),
    else what became of it."""
    if reminder.status in FINISHED:
        return reminder.status
    if reminder.kind != ReminderKind.STEP or reminder.channel not in AUTOMATIC_CHANNELS:
        return "not automatic"  # calls are done by people, from the queue
    if reminder.status == ReminderStatus.PENDING and reminder.due_at > now:
        return "not due"  # a late duplicate message of a reminder put off for quiet hours
    if reminder.attempts >= settings.REMINDER_MAX_ATTEMPTS:
        return _end(reminder, ReminderStatus.FAILED, f"Gave up after {reminder.attempts} tries.")
    if why := _stop_reason(reminder):
        return _end(reminder, ReminderStatus.CANCELLED, why)
    if why := _skip_reason(reminder):
        return _end(reminder, ReminderStatus.SKIPPED, why)
    allowed = _allowed_from(reminder, now)
    if allowed > now:
        reminder.status = ReminderStatus.PENDING
        reminder.due_at = allowed
        reminder.claimed_at = None
        reminder.save(update_fields=["status", "due_at", "claimed_at"])
        return "deferred"
    reminder.status = ReminderStatus.SENDING
    reminder.attempts += 1
    reminder.claimed_at = now
    reminder.save(update_fields=["status", "attempts", "claimed_at"])
    return ""


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "localhost"


def _email_refusal(error: smtplib.SMTPException | OSError) -> Exception:
    """Which SMTP failures a retry can fix (4xx, dropped connections) and which it cannot."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return _Refused(ReminderStatus.FAILED, f"The address was refused: {codes[0]}.", True)
        return ReminderTemporaryError(f"Recipient refused for now: {codes}")
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return _Refused(
            ReminderStatus.FAILED, f"The mail server refused: {error.smtp_code}.", False
        )
    return ReminderTemporaryError(f"Mail server unavailable: {error}")


def _deliver(reminder: Reminder, message: Message) -> str:
    """Hand the message to the provider; returns its id for the message."""
    patient = reminder.plan.patient
    key = str(reminder.pk)
    if reminder.channel == Channel.SMS:
        try:
            return send_sms(patient.phone, message.body, key)
        except SmsTemporaryError as error:
            raise ReminderTemporaryError(str(error)) from error
        except (SmsNotConfigured, SmsRecipientOptedOut) as error:
            raise _Refused(ReminderStatus.SKIPPED, str(error), False) from error
        except SmsRejected as error:
            raise _Refused(ReminderStatus.FAILED, str(error), True) from error
    message_id = f"<reminder-{key}@{_mail_domain()}>"  # the same on every try
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=formataddr((reminder.practice.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])),
        to=[patient.email],
        reply_to=[reminder.practice.email] if reminder.practice.email else None,
        headers={"Message-ID": message_id},
    )
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        raise _email_refusal(error) from error
    return message_id


def _finish(
    reminder: Reminder, *, status: str, provider_id: str = "", why: str = "", bounced: bool = False
) -> None:
    """Record how the provider answered, the touch and the audit event, in one transaction."""
    now = timezone.now()
    sent = status == ReminderStatus.SENT
    with transaction.atomic():
        # A conditional update, without the plan's lock: this task is the only one sending the
        # reminder (the advisory lock), and a follow-up that stops leaves sending rows alone.
        finished = Reminder.objects.filter(pk=reminder.pk, status=ReminderStatus.SENDING).update(
            status=status,
            provider_id=provider_id[:100],
            last_error=why[:300],
            sent_at=now if sent else None,
        )
        if not finished:
            logger.warning("Reminder %s was finished elsewhere while it was sent.", reminder.pk)
            return
        reminder.status, reminder.provider_id, reminder.last_error = status, provider_id, why
        reminder.sent_at = now if sent else None
        if sent or bounced:
            touch_record(
                plan=reminder.plan,
                channel=reminder.channel,
                outcome=TouchOutcome.SENT if sent else TouchOutcome.BOUNCED,
                by=None,
                at=now,
                reminder=reminder,
                note=why,
            )
        audit_record(
            action=f"reminder.{status}",
            practice=reminder.practice,
            system_actor=SYSTEM_ACTOR,
            obj=reminder,
            patient_id=reminder.plan.patient_id,
            detail={"channel": reminder.channel, "attempts": reminder.attempts},
        )


def reminder_send(*, reminder_id: str) -> str:
    """Send one automatic reminder if it is still wanted and allowed now; at most once.

    Returns what happened: "sent", "cancelled", "skipped", "failed", "deferred" (quiet hours),
    "busy" (another task is sending it), "not due", "not automatic" or "missing". Raises
    `ReminderTemporaryError` when the provider may take it on a later try.
    """
    with scopes_disabled(), _only_sender(reminder_id) as free:
        if not free:
            return "busy"
        with transaction.atomic():
            reminder = _lock(reminder_id)
            if reminder is None:
                return "missing"
            if outcome := _prepare(reminder, timezone.now()):
                return outcome
        # Committed as sending: from here on the message may reach the patient.
        try:
            provider_id = _deliver(reminder, reminder_message(reminder))
        except ReminderTemporaryError as error:
            Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.SENDING).update(
                last_error=str(error)[:300]
            )
            raise
        except _Refused as refusal:
            _finish(reminder, status=refusal.status, why=str(refusal), bounced=refusal.bounced)
            return refusal.status
        _finish(reminder, status=ReminderStatus.SENT, provider_id=provider_id)
        return ReminderStatus.SENT


def reminder_fail(*, reminder_id: str, why: str) -> bool:
    """Retries are used up (or the task broke): leave the reminder failed for a human."""
    with scopes_disabled(), transaction.atomic():
        reminder = _lock(reminder_id)
        if reminder is None or reminder.status not in (
            ReminderStatus.QUEUED,
            ReminderStatus.SENDING,
        ):
            return False
        _end(reminder, ReminderStatus.FAILED, why)
        audit_record(
            action="reminder.failed",
            practice=reminder.practice,
            system_actor=SYSTEM_ACTOR,
            obj=reminder,
            patient_id=reminder.plan.patient_id,
            detail={"channel": reminder.channel, "attempts": reminder.attempts},
        )
        return True
