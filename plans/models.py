"""The procedure catalog, treatment plans and what happened to them."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from coordinator.models import Practice
from plans.teeth import Site


class Category(models.TextChoices):
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    PREVENTIVE = "preventive", "Preventive"
    RESTORATIVE = "restorative", "Restorative"
    ENDODONTICS = "endodontics", "Endodontics"
    PERIODONTICS = "periodontics", "Periodontics"
    PROSTHODONTICS = "prosthodontics", "Prosthodontics"
    IMPLANTS = "implants", "Implants"
    ORAL_SURGERY = "oral_surgery", "Oral surgery"
    ORTHODONTICS = "orthodontics", "Orthodontics"
    ADJUNCTIVE = "adjunctive", "Adjunctive"
    CROWNS = "crowns", "Crowns"
    OTHER = "other", "Other"


class ProcedureCode(models.Model):
    """One line of the practice's own catalog: code, plain description, office (UCR) fee."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="procedure_codes")
    code = models.CharField(max_length=5, validators=[RegexValidator(r"^D\d{4}$")])
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.CharField(max_length=200, help_text="Plain words a patient understands.")
    fee = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    minutes = models.PositiveIntegerField(default=30)
    # What the builder asks for: a tooth, surfaces, a quadrant or an arch (see plans/teeth.py).
    site = models.CharField(max_length=10, choices=Site.choices, default=Site.MOUTH)
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="unique_code_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class ProcedureStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DEFERRED = "deferred", "Deferred"
    DECLINED = "declined", "Declined"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    DIAGNOSED = "diagnosed", "Diagnosed"
    PRESENTED = "presented", "Presented"
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
    DECLINED = "declined", "Declined"
    SCHEDULED = "scheduled", "Scheduled"
    IN_TREATMENT = "in_treatment", "In treatment"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"


class CloseReason(models.TextChoices):
    EXPIRED = "expired", "Expired"
    ABANDONED = "abandoned", "Abandoned"
    UNRESPONSIVE = "unresponsive", "No answer after the last follow-up"
    OTHER = "other", "Other"


class DecisionKind(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    DEFERRED = "deferred", "Deferred (not now)"


class DecisionReason(models.TextChoices):
    COST = "cost", "Cost"
    INSURANCE = "insurance", "Insurance"
    WAITING_FOR_BENEFITS = "waiting_for_benefits", "Waiting for benefits to renew"
    TIME = "time", "Time"
    FEAR = "fear", "Fear"
    CO_DECIDER = "co_decider", "Wants to talk to someone"
    SECOND_OPINION = "second_opinion", "Second opinion"
    NOT_A_PRIORITY = "not_a_priority", "No symptoms / not a priority"
    OTHER_OPTION = "other_option", "Chose another option"
    OTHER = "other", "Other"


class PresentationMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    LINK = "link", "Sent link"


class Area(models.TextChoices):
    UR = "UR", "Upper right"
    UL = "UL", "Upper left"
    LR = "LR", "Lower right"
    LL = "LL", "Lower left"
    U = "U", "Upper arch"
    L = "L", "Lower arch"


class TreatmentPlan(models.Model):
    """What a dentist diagnosed for one patient: one or more options (alternatives)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="plans")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="plans")
    dentist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diagnosed_plans"
    )
    ref = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    diagnosed_at = models.DateTimeField(null=True, blank=True)
    first_presented_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    # Bumped by every change of the live plan: presentations freeze a version, and two people
    # editing at once are told to reload instead of overwriting each other.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "ref"], condition=~models.Q(ref=""), name="unique_plan_ref"
            )
        ]
        indexes = [models.Index(fields=["practice", "status"], name="plan_status_idx")]

    def __str__(self) -> str:
        return self.title or f"Plan of {self.created_at:%b %-d, %Y}"


class TreatmentOption(models.Model):
    """One way to treat the problem (implant, bridge, partial denture); one is recommended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="options")
    ref = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=100)
    recommended = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(recommended=True), name="one_recommended_option"
            ),
            models.UniqueConstraint(
                fields=["practice", "ref"], condition=~models.Q(ref=""), name="unique_option_ref"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The longest a dentist may let a phase wait for the next benefit year.
MAX_WAIT_MONTHS = 24


class Phase(models.Model):
    """A visit (or group of visits) in clinical order within an option."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(TreatmentOption, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=100, blank=True)
    # Planned for the primary insurance's next benefit year (its estimate sees a fresh maximum).
    next_benefit_year = models.BooleanField(default=False)
    # How long the dentist lets this phase wait, so a split across benefit years stays safe.
    may_wait_months = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_WAIT_MONTHS)]
    )

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["option", "number"], name="unique_phase_number")
        ]

    def __str__(self) -> str:
        return self.name or f"Phase {self.number}"


class PlannedProcedure(models.Model):
    """One procedure of an option: code, where in the mouth, fee, and where it stands."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(TreatmentOption, on_delete=models.CASCADE, related_name="procedures")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="procedures")
    ref = models.CharField(max_length=100, blank=True)
    procedure_code = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="+")
    tooth = models.CharField(max_length=2, blank=True)
    surfaces = models.CharField(max_length=5, blank=True)
    area = models.CharField(max_length=2, choices=Area.choices, blank=True)
    fee = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    # Why the fee differs from the catalog's, when it does.
    fee_reason = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=ProcedureStatus.choices, default=ProcedureStatus.PROPOSED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["phase__number", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "ref"], condition=~models.Q(ref=""), name="unique_procedure_ref"
            )
        ]

    def __str__(self) -> str:
        where = self.tooth or self.area
        return f"{self.procedure_code.code} {where}".strip()


class Decision(models.Model):
    """A patient's answer about one procedure. The latest one stands; history keeps them all."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey(
        PlannedProcedure, on_delete=models.CASCADE, related_name="decisions"
    )
    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=24, choices=DecisionReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="accepted", reason="") | ~models.Q(kind="accepted"),
                name="acceptance_has_no_reason",
            )
        ]
        indexes = [models.Index(fields=["practice", "at"], name="decision_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class CompletedProcedure(models.Model):
    """Work done: a planned procedure completed, or work done outside any plan."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    planned = models.OneToOneField(
        PlannedProcedure,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="completion",
    )
    ref = models.CharField(max_length=100, blank=True)
    procedure_code = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="+")
    tooth = models.CharField(max_length=2, blank=True)
    fee = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    completed_on = models.DateField()
    dentist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["completed_on", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "ref"], condition=~models.Q(ref=""), name="unique_completed_ref"
            )
        ]
        indexes = [models.Index(fields=["practice", "completed_on"], name="completed_on_idx")]

    def __str__(self) -> str:
        return f"{self.procedure_code.code} on {self.completed_on}"


class Presentation(models.Model):
    """Who showed which version of a plan to the patient, when and how; frozen as shown."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="presentations")
    ref = models.CharField(max_length=100, blank=True)
    presented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    mode = models.CharField(max_length=10, choices=PresentationMode.choices)
    plan_version = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["at", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "ref"],
                condition=~models.Q(ref=""),
                name="unique_presentation_ref",
            )
        ]
        indexes = [models.Index(fields=["practice", "at"], name="presentation_at_idx")]

    def __str__(self) -> str:
        return f"Presented {self.at:%Y-%m-%d} ({self.get_mode_display()})"


class PresentedOption(models.Model):
    """An option exactly as the patient saw it."""

    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    presentation = models.ForeignKey(Presentation, on_delete=models.CASCADE, related_name="options")
    option = models.ForeignKey(
        TreatmentOption, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=100)
    recommended = models.BooleanField()
    position = models.PositiveIntegerField()
    total_fee = models.DecimalField(max_digits=12, decimal_places=2)
    # The insurance estimate as presented (null: the patient had no insurance on file), and the
    # engine's input that produced it, so the numbers can be replayed exactly.
    total_insurance = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    total_writeoff = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    total_patient = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    estimate_scenario = models.JSONField(null=True)
    # Where each coverage's benefit data came from and how old it was, as shown.
    benefits_summary = models.JSONField(default=list)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class PresentedProcedure(models.Model):
    """A procedure exactly as the patient saw it: the fee here is what metrics count."""

    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    presented_option = models.ForeignKey(
        PresentedOption, on_delete=models.CASCADE, related_name="procedures"
    )
    procedure = models.ForeignKey(
        PlannedProcedure, null=True, on_delete=models.SET_NULL, related_name="presented_as"
    )
    code = models.CharField(max_length=5)
    category = models.CharField(max_length=20, choices=Category.choices)
    description = models.CharField(max_length=200)
    tooth = models.CharField(max_length=2, blank=True)
    surfaces = models.CharField(max_length=5, blank=True)
    area = models.CharField(max_length=2, blank=True)
    phase_number = models.PositiveIntegerField()
    phase_name = models.CharField(max_length=100, blank=True)
    fee = models.DecimalField(max_digits=12, decimal_places=2)
    position = models.PositiveIntegerField()
    insurance = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    writeoff = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    patient_portion = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    estimate_notes = models.JSONField(default=list)
    next_benefit_year = models.BooleanField(default=False)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["phase_number", "position"]

    def __str__(self) -> str:
        return f"{self.code} {self.tooth or self.area}".strip()


# Follow-up models live in their own module; importing them here registers them with the app.
from plans.followup_models import (  # noqa: E402, F401
    Cadence,
    CadenceStep,
    FollowUp,
    Reminder,
    Touch,
)
