"""Staff, practices (the tenant), memberships, sessions and the append-only audit trail."""

import datetime
import re
import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_scopes import ScopedManager

from coordinator.roles import ROLES_REQUIRING_MFA, Role


class UserManager(BaseUserManager):
    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member. Signs in with email; one account across every practice they work at."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            # Sign-in lower-cases the email: a second spelling of the same address can never exist.
            models.UniqueConstraint(Lower("email"), name="unique_email_ignoring_case"),
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="email_is_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_staff(self) -> bool:
        # There is no Django admin; staff work happens inside a practice.
        return False

    def clean(self) -> None:
        self.email = self.email.strip().lower()

    def requires_second_factor(self) -> bool:
        return self.memberships.filter(
            models.Q(role__in=ROLES_REQUIRING_MFA) | models.Q(practice__mfa_for_all_staff=True)
        ).exists()


class Organization(models.Model):
    """A group of practices (locations) with one owner."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f'"{value}" is not a time zone (for example America/Chicago).')


def npi_check_digit_ok(npi: str) -> bool:
    """The NPI's last digit is its Luhn check digit, computed with the card-issuer prefix 80840."""
    digits = [int(d) for d in "80840" + npi]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    if not re.fullmatch(r"\d{10}", value):
        raise ValidationError("An NPI is 10 digits.")
    if not npi_check_digit_ok(value):
        raise ValidationError("This is not a valid NPI: its check digit does not match.")


class Practice(models.Model):
    """One dental office (a location): the tenant that owns all patient data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(unique=True, validators=[RegexValidator(r"^[a-z0-9][a-z0-9-]*$")])
    name = models.CharField(max_length=200)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="practices"
    )
    timezone = models.CharField(
        max_length=64, default="America/Chicago", validators=[validate_timezone]
    )
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    mfa_for_all_staff = models.BooleanField(
        default=False,
        help_text="Everyone who works here must use an authenticator app, not only managers.",
    )
    # Insurance estimate settings: the names and defaults of the estimate contract (§3.5). A
    # group plan may override the three write-off/exclusion ones.
    secondary_ppo_writeoffs = models.BooleanField(default=False)
    zero_writeoff_when_max_reached = models.BooleanField(default=False)
    zero_writeoff_on_frequency_or_age_limit = models.BooleanField(default=False)
    office_fee_for_exclusions = models.BooleanField(default=False)
    blank_fixed_benefit_is_zero = models.BooleanField(default=False)
    blank_copay_is_zero = models.BooleanField(default=True)
    blank_allowed_is_zero = models.BooleanField(default=False)
    # Estimates flag benefit data verified longer ago than this.
    benefits_stale_after_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Electronic eligibility checks (X12 270): the billing provider and the clearinghouse account.
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi])
    x12_submitter_id = models.CharField(
        "Clearinghouse submitter ID",
        max_length=15,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9]*$", "Letters and digits only.")],
    )
    # Automatic reminders wait out these hours (in the practice's time zone): no texts or emails
    # from `quiet_hours_start` until `quiet_hours_end`; the same time in both means none.
    quiet_hours_start = models.TimeField(default=datetime.time(20, 0))
    quiet_hours_end = models.TimeField(default=datetime.time(8, 0))
    texts_on_sundays = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Membership(models.Model):
    """A user's role in one practice. `ref` is the staff member's id in an imported system."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    ref = models.CharField(max_length=100, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "practice"], name="one_membership_per_practice"
            ),
            models.UniqueConstraint(
                fields=["practice", "ref"],
                condition=~models.Q(ref=""),
                name="unique_staff_ref_per_practice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.practice}"


class UserSession(AbstractBaseSession):
    """A server-side session that knows its user, so all of a user's sessions can be ended."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="sessions"
    )

    @classmethod
    def get_session_store_class(cls):
        from coordinator.sessions import SessionStore

        return SessionStore


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditEvent.AppendOnly("Audit events are never changed.")

    def delete(self):
        raise AuditEvent.AppendOnly("Audit events are never deleted.")


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Never holds the record's values."""

    class AppendOnly(Exception):
        pass

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    practice = models.ForeignKey(Practice, null=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # A system actor when no person acted, e.g. "command:import_practice".
    system_actor = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # Field names changed, counts: never names, dates or other PHI values.
    detail = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(
        practice="practice", _manager_class=models.Manager.from_queryset(AuditEventQuerySet)
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["practice", "patient_id", "-at"], name="audit_patient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor__isnull=False) | ~models.Q(system_actor=""),
                name="audit_has_actor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.AppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.AppendOnly("Audit events are never deleted.")
