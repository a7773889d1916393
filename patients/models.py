"""The patient record a practice keeps: identity, how to reach them, what they agreed to."""

import uuid

from django.db import models
from django_scopes import ScopedManager

from coordinator.models import Practice


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


class BestTime(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Mornings"
    AFTERNOON = "afternoon", "Afternoons"
    EVENING = "evening", "Evenings"


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="patients")
    # The patient's id in the system the practice imported from.
    ref = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +13125550100")
    preferred_contact = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.PHONE
    )
    best_time = models.CharField(max_length=10, choices=BestTime.choices, default=BestTime.ANY)
    email_consent = models.BooleanField(default=False)
    sms_consent = models.BooleanField(default=False)
    # When the patient agreed to receive documents by ordinary (unencrypted) email.
    unencrypted_email_consent_at = models.DateTimeField(null=True, blank=True)
    # The patient asked for no more follow-up reminders (from their plan page, a reply or STOP).
    reminders_opted_out_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "ref"], condition=~models.Q(ref=""), name="unique_patient_ref"
            )
        ]
        indexes = [
            models.Index(fields=["practice", "last_name", "first_name"], name="patient_name_idx"),
            models.Index(fields=["practice", "birth_date"], name="patient_birth_date_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def unencrypted_email_consent(self) -> bool:
        return self.unencrypted_email_consent_at is not None
