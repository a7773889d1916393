"""Follow-ups: cadences, each plan's follow-up, the reminders it schedules and every touch.

A reminder is a database row with its due time and a unique (follow-up, step) key: the row is
the truth; Redis only carries the work of sending it (see `plans.reminders`). Imported into
`plans.models` so Django finds the models in the plans app.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager


class Channel(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    LETTER = "letter", "Letter"


class StepAnchor(models.TextChoices):
    PRESENTATION = "presentation", "after the presentation"
    PREVIOUS = "previous", "after the previous step"


class Cadence(models.Model):
    """A named sequence of follow-up steps; the practice's default one starts on presenting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("coordinator.Practice", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    # Decline and defer reasons (plans.models.DecisionReason values) that start this cadence.
    reasons = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice"], condition=Q(is_default=True), name="one_default_cadence"
            ),
            models.UniqueConstraint(fields=["practice", "name"], name="unique_cadence_name"),
        ]

    def __str__(self) -> str:
        return self.name


class CadenceStep(models.Model):
    """ "N days after the presentation (or the previous step): call, email or text"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("coordinator.Practice", on_delete=models.PROTECT, related_name="+")
    cadence = models.ForeignKey(Cadence, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    days = models.PositiveSmallIntegerField(validators=[MaxValueValidator(730)])
    after = models.CharField(
        max_length=12, choices=StepAnchor.choices, default=StepAnchor.PRESENTATION
    )
    channel = models.CharField(
        max_length=6, choices=[c for c in Channel.choices if c[0] != Channel.LETTER]
    )
    # Message templates: {first_name}, {practice}, {plan_link}. No treatment or amounts in
    # them (they go out unencrypted); the plan link carries the details.
    subject = models.CharField(max_length=150, blank=True)
    body = models.TextField(blank=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["cadence", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cadence", "number"], name="unique_cadence_step")
        ]

    def __str__(self) -> str:
        return f"Step {self.number}: {self.get_channel_display()} {self.days} days"


class FollowUpStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"
    FINISHED = "finished", "Finished without an answer"


class StopReason(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined for good"
    CLOSED = "closed", "Plan closed"
    OPTED_OUT = "opted_out", "Patient opted out"
    REPLIED = "replied", "Patient replied"
    RESTARTED = "restarted", "Replaced by a new follow-up"


class FollowUp(models.Model):
    """A plan's follow-up: who owns it, on which cadence, since when. One active per plan."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("coordinator.Practice", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.TreatmentPlan", on_delete=models.CASCADE, related_name="follow_ups"
    )
    cadence = models.ForeignKey(Cadence, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The moment the steps count from (the presentation, or the decision that chose this
    # cadence).
    anchor_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.ACTIVE
    )
    stop_reason = models.CharField(max_length=10, choices=StopReason.choices, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # What the queue suggests for the next touch, from the patient's decline or defer reason
    # (plans.followup_services.SUGGESTIONS), e.g. "Send the second link".
    suggestion = models.CharField(max_length=100, blank=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status="active"), name="one_active_follow_up"
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up ({self.get_status_display()})"


class ReminderKind(models.TextChoices):
    STEP = "step", "Cadence step"
    CALL_BACK = "call_back", "Call back"
    QUESTION = "question", "Patient's question"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Due later"  # waiting for its due time
    QUEUED = "queued", "Queued"  # claimed by a sweep, a send task is on its way
    SENDING = "sending", "Sending"  # a worker is talking to the provider
    SENT = "sent", "Sent"
    DONE = "done", "Done"  # a call task whose outcome was logged
    FAILED = "failed", "Failed"  # retries exhausted: a human looks at it
    CANCELLED = "cancelled", "Cancelled"  # the follow-up stopped before it was due
    SKIPPED = "skipped", "Skipped"  # no consent, opted out, or no address


class Reminder(models.Model):
    """One due touch: an automatic email or text, or a call in a coordinator's queue."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("coordinator.Practice", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.TreatmentPlan", on_delete=models.CASCADE, related_name="reminders"
    )
    follow_up = models.ForeignKey(
        FollowUp, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=10, choices=ReminderKind.choices, default=ReminderKind.STEP)
    # The cadence step it comes from (null for call-backs and questions).
    step_number = models.PositiveSmallIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=6, choices=Channel.choices)
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "step_number"],
                condition=Q(step_number__isnull=False),
                name="one_reminder_per_step",
            )
        ]
        indexes = [
            # The sweep: due automatic reminders, oldest first.
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["pending", "queued", "sending"]),
                name="reminder_due_idx",
            ),
            models.Index(fields=["practice", "assigned_to", "due_at"], name="reminder_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} due {self.due_at:%Y-%m-%d %H:%M}"


class TouchOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    VOICEMAIL = "voicemail", "Left a voicemail"
    NO_ANSWER = "no_answer", "No answer"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"
    BOUNCED = "bounced", "Bounced"


class Touch(models.Model):
    """A follow-up touch, automatic or manual, as the patient's timeline shows it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("coordinator.Practice", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.TreatmentPlan", on_delete=models.PROTECT, related_name="touches"
    )
    ref = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=6, choices=Channel.choices)
    at = models.DateTimeField(default=timezone.now)
    # Who made it; null for an automatic reminder.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(max_length=10, choices=TouchOutcome.choices)
    note = models.CharField(max_length=500, blank=True)
    reminder = models.OneToOneField(
        Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="touch"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["at"]
        verbose_name_plural = "touches"
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "ref"], condition=~Q(ref=""), name="unique_touch_ref"
            )
        ]
        indexes = [models.Index(fields=["plan", "at"], name="touch_plan_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"
