"""Dental insurance as the practice keeps it: carriers, employer group plans and their benefits,
who is covered by which plan, and what each plan has already paid.

The split follows established dental software: a carrier offers an employer **group plan** (one
row reused by every patient of that employer group, with its benefits, downgrades and fee
schedules); a subscriber (the policy holder) holds a **subscription** to it; each patient covered
by that subscription has a **coverage** with an ordinal (1 = primary). Everyone covered by the
same subscription is one family: they share family deductibles and maximums.

Benefit rows store the vocabulary of the estimate contract (`../shared/contracts/estimate.md`
§3.5–3.8) unchanged, so the engine's input is built from them without translation.
"""

import calendar
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_scopes import ScopedManager

from coordinator.models import Practice
from insurance import scopes
from plans.models import Area
from plans.teeth import surfaces_problem, tooth_problem

CODE_VALIDATOR = RegexValidator(r"^D\d{4}$", "D followed by four digits, e.g. D2740.")


def _money(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(0)], **kwargs
    )


def _same_practice(row: models.Model, **related: models.Model | None) -> None:
    """Refuse a link to another practice's row (the form never offers one; this is the guard)."""
    errors = {
        field: "This belongs to another practice."
        for field, other in related.items()
        if other is not None and other.practice_id != row.practice_id
    }
    if errors:
        raise ValidationError(errors)


# --- Carriers and group plans --------------------------------------------------------------------


class Carrier(models.Model):
    """An insurance company (payer) as the practice deals with it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="carriers")
    name = models.CharField(max_length=200)
    # The payer id of electronic claims and eligibility (X12), e.g. "CDCA1".
    payer_id = models.CharField(
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9]*$", "Letters and digits only.")],
    )
    phone = models.CharField(max_length=20, blank=True)
    # Some carriers put the plan's share, not the patient's, in a 271's EB08 (coinsurance).
    coinsurance_inverted = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["practice", "name"], name="carrier_name_idx")]

    def __str__(self) -> str:
        return self.name


class PlanType(models.TextChoices):
    PERCENTAGE = "percentage", "Percentage (indemnity)"
    PPO = "ppo", "PPO"
    PPO_FIXED_BENEFIT = "ppo_fixed_benefit", "PPO with fixed benefits"
    FLAT_COPAY = "flat_copay", "Flat copay (Medicaid-style)"
    CAPITATION = "capitation", "Capitation (HMO)"


class CobRule(models.TextChoices):
    STANDARD = "standard", "Standard"
    BASIC = "basic", "Basic"
    CARVE_OUT = "carve_out", "Carve-out (non-duplication)"
    SECONDARY_MEDICAID = "secondary_medicaid", "Secondary Medicaid"


class BenefitsSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    ELIGIBILITY_271 = "eligibility_271", "Eligibility check (271)"
    ASSUMED = "assumed", "Assumed (not verified)"


class GroupPlan(models.Model):
    """An employer group's plan with one carrier: one row for every patient of that group."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="group_plans")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="group_plans")
    employer = models.CharField(max_length=200, blank=True)
    group_number = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=200, blank=True)
    plan_type = models.CharField(max_length=20, choices=PlanType.choices)
    cob_rule = models.CharField(max_length=20, choices=CobRule.choices, default=CobRule.STANDARD)
    renewal_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    missing_tooth_clause = models.BooleanField(default=False)
    downgrades_enabled = models.BooleanField(default=True)
    writeoff_on_downgraded = models.BooleanField(default=True)
    # None follows the practice setting of the same name; True/False overrides it for this plan.
    zero_writeoff_when_max_reached = models.BooleanField(null=True, blank=True, default=None)
    zero_writeoff_on_frequency_or_age_limit = models.BooleanField(
        null=True, blank=True, default=None
    )
    office_fee_for_exclusions = models.BooleanField(null=True, blank=True, default=None)
    benefits_source = models.CharField(
        max_length=20, choices=BenefitsSource.choices, default=BenefitsSource.ASSUMED
    )
    benefits_updated_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["employer", "group_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(renewal_month__gte=1, renewal_month__lte=12),
                name="group_plan_renewal_month_1_12",
            )
        ]
        indexes = [
            models.Index(fields=["practice", "employer"], name="group_plan_employer_idx"),
            models.Index(fields=["practice", "group_number"], name="group_plan_number_idx"),
        ]

    def __str__(self) -> str:
        return (
            self.name
            or " · ".join(part for part in (self.employer, self.group_number) if part)
            or "Group plan"
        )

    def clean(self) -> None:
        _same_practice(self, carrier=self.carrier if self.carrier_id else None)

    @property
    def renewal_month_name(self) -> str:
        return calendar.month_name[self.renewal_month] if 1 <= self.renewal_month <= 12 else ""

    @property
    def schedules(self) -> tuple[str, ...]:
        """The fee schedules this plan's type uses."""
        return SCHEDULES_BY_PLAN_TYPE.get(self.plan_type, ())


# --- Benefits ------------------------------------------------------------------------------------


class BenefitKind(models.TextChoices):
    COVERAGE = "coverage", "Coverage"
    DEDUCTIBLE = "deductible", "Deductible"
    MAXIMUM = "maximum", "Maximum"
    FREQUENCY = "frequency", "Frequency limit"
    AGE_LIMIT = "age_limit", "Age limit"
    WAITING_PERIOD = "waiting_period", "Waiting period"
    EXCLUSION = "exclusion", "Exclusion"


class BenefitLevel(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    FAMILY = "family", "Family"


class BenefitPeriod(models.TextChoices):
    BENEFIT_YEAR = "benefit_year", "Benefit year"
    LIFETIME = "lifetime", "Lifetime"


class FrequencyArea(models.TextChoices):
    MOUTH = "mouth", "Anywhere in the mouth"
    TOOTH = "tooth", "Per tooth"
    ARCH = "arch", "Per arch"
    TOOTH_RANGE = "tooth_range", "Per tooth range"


class BenefitSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    ELIGIBILITY_271 = "eligibility_271", "Eligibility check (271)"


# The fields each kind of row uses: required ones, then optional ones. Every other value field
# of the row stays empty, so what the engine reads is exactly what the screen showed.
BENEFIT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    BenefitKind.COVERAGE: (("percent",), ()),
    BenefitKind.DEDUCTIBLE: (("amount", "level", "period"), ()),
    BenefitKind.MAXIMUM: (("amount", "level", "period"), ()),
    BenefitKind.FREQUENCY: (("count", "per"), ("area",)),
    BenefitKind.AGE_LIMIT: (("max_age",), ()),
    BenefitKind.WAITING_PERIOD: (("months",), ()),
    BenefitKind.EXCLUSION: ((), ()),
}
BENEFIT_VALUE_FIELDS = ("percent", "amount", "level", "period", "count", "per", "area")
BENEFIT_VALUE_FIELDS += ("max_age", "months")
MAX_AGE = 130
MAX_WAITING_MONTHS = 120


class Benefit(models.Model):
    """One benefit row of a group plan, in the contract's words (§3.7)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    group_plan = models.ForeignKey(GroupPlan, on_delete=models.CASCADE, related_name="benefits")
    kind = models.CharField(max_length=20, choices=BenefitKind.choices)
    # `general`, `category:NAME`, `code:D2740` or `code_group:D0120,D0150` (insurance/scopes.py).
    scope = models.CharField(max_length=scopes.MAX_SCOPE_LENGTH)
    percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    amount = _money(null=True, blank=True)
    level = models.CharField(max_length=10, choices=BenefitLevel.choices, blank=True)
    period = models.CharField(max_length=15, choices=BenefitPeriod.choices, blank=True)
    count = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    # `calendar_year`, `benefit_year`, `last_12_months`, `months:N` or `years:N`.
    per = models.CharField(max_length=20, blank=True)
    # Blank: the same site (same tooth and surfaces, same arch or quadrant).
    area = models.CharField(max_length=12, choices=FrequencyArea.choices, blank=True)
    max_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_AGE)]
    )
    months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WAITING_MONTHS)],
    )
    source = models.CharField(
        max_length=20, choices=BenefitSource.choices, default=BenefitSource.MANUAL
    )
    note = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["kind", "scope"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100),
                name="benefit_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="benefit_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(kind="coverage") | Q(percent__isnull=False),
                name="coverage_has_percent",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["deductible", "maximum"])
                | (Q(amount__isnull=False) & ~Q(level="") & ~Q(period="")),
                name="deductible_maximum_have_amount",
            ),
            models.CheckConstraint(
                condition=~Q(kind="frequency")
                | (Q(count__gte=1) & ~Q(per="") & Q(scope__regex=r"^code(_group)?:")),
                name="frequency_names_codes",
            ),
            models.CheckConstraint(
                condition=~Q(kind="age_limit") | Q(max_age__isnull=False),
                name="age_limit_has_max_age",
            ),
            models.CheckConstraint(
                condition=~Q(kind="waiting_period") | Q(months__gte=1),
                name="waiting_period_has_months",
            ),
            models.CheckConstraint(
                condition=~Q(kind="exclusion") | ~Q(scope="general"),
                name="exclusion_not_general",
            ),
        ]
        indexes = [models.Index(fields=["group_plan", "kind"], name="benefit_plan_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scope}"

    @property
    def scope_label(self) -> str:
        try:
            return scopes.parse_scope(self.scope).label
        except ValueError:
            return self.scope

    @property
    def period_label(self) -> str:
        return scopes.period_label(self.per) if self.per else ""

    def clean(self) -> None:
        _same_practice(self, group_plan=self.group_plan if self.group_plan_id else None)
        errors: dict[str, str] = {}
        if self.kind in BENEFIT_FIELDS:
            try:
                self.scope = scopes.normalize_scope(self.kind, self.scope)
            except ValueError as error:
                errors["scope"] = _sentence(error)
            required, optional = BENEFIT_FIELDS[self.kind]
            for field in BENEFIT_VALUE_FIELDS:
                value = getattr(self, field)
                empty = value is None or value == ""
                if field in required and empty:
                    errors[field] = "Required for this kind of benefit."
                elif field not in required and field not in optional and not empty:
                    errors[field] = f"Not used by a {self.get_kind_display().lower()}."
            if self.per and "per" not in errors:
                try:
                    self.per = scopes.normalize_period(self.per)
                except ValueError as error:
                    errors["per"] = _sentence(error)
        if errors:
            raise ValidationError(errors)


def _sentence(error: ValueError | str) -> str:
    """A lower-case reason from a pure helper, as a sentence for a form."""
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


class DowngradeWhen(models.TextChoices):
    ALWAYS = "always", "Always"
    POSTERIOR = "posterior", "On back teeth (posterior)"
    MOLAR = "molar", "On molars"
    SECOND_MOLAR = "second_molar", "On second molars"
    NEVER = "never", "Never (no downgrade for this code)"


class DowngradeRule(models.Model):
    """Alternate benefit: the plan pays `code` as the cheaper `to_code` (on some teeth)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    group_plan = models.ForeignKey(
        GroupPlan, on_delete=models.CASCADE, related_name="downgrade_rules"
    )
    code = models.CharField(max_length=5, validators=[CODE_VALIDATOR])
    to_code = models.CharField(max_length=5, validators=[CODE_VALIDATOR])
    when = models.CharField(
        max_length=15, choices=DowngradeWhen.choices, default=DowngradeWhen.ALWAYS
    )

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["code", "when"]
        constraints = [
            # One rule per code and tooth kind, so "the first rule of that kind" is never ambiguous.
            models.UniqueConstraint(
                fields=["group_plan", "code", "when"], name="unique_downgrade_per_when"
            ),
            models.CheckConstraint(
                condition=~Q(code=models.F("to_code")), name="downgrade_changes_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.to_code} ({self.when})"

    def clean(self) -> None:
        _same_practice(self, group_plan=self.group_plan if self.group_plan_id else None)
        if self.code and self.code == self.to_code:
            raise ValidationError({"to_code": "A downgrade pays the code as a different code."})


# --- Fee schedules -------------------------------------------------------------------------------


class FeeSchedule(models.TextChoices):
    ALLOWED = "allowed", "Allowed (contracted) fees"
    PLAN_FEES = "plan_fees", "Plan fees"
    COPAY = "copay", "Copays"
    FIXED_BENEFIT = "fixed_benefit", "Fixed benefits"


# Contract §3.6: the schedules each plan type uses; any other schedule on the plan is invalid.
SCHEDULES_BY_PLAN_TYPE: dict[str, tuple[str, ...]] = {
    PlanType.PERCENTAGE: (FeeSchedule.ALLOWED, FeeSchedule.PLAN_FEES, FeeSchedule.COPAY),
    PlanType.PPO: (FeeSchedule.ALLOWED, FeeSchedule.COPAY),
    PlanType.PPO_FIXED_BENEFIT: (FeeSchedule.ALLOWED, FeeSchedule.FIXED_BENEFIT),
    PlanType.FLAT_COPAY: (FeeSchedule.ALLOWED, FeeSchedule.COPAY),
    PlanType.CAPITATION: (FeeSchedule.PLAN_FEES, FeeSchedule.COPAY),
}


class FeeScheduleEntry(models.Model):
    """One code's amount in one of a group plan's fee schedules.

    A code without an entry is blank (no fee on file), which is not the same as 0.00.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    group_plan = models.ForeignKey(GroupPlan, on_delete=models.CASCADE, related_name="fees")
    schedule = models.CharField(max_length=15, choices=FeeSchedule.choices)
    code = models.CharField(max_length=5, validators=[CODE_VALIDATOR])
    amount = _money()

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["schedule", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_plan", "schedule", "code"], name="unique_fee_per_schedule_code"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.code}"

    def clean(self) -> None:
        if not self.group_plan_id:
            return
        _same_practice(self, group_plan=self.group_plan)
        if self.schedule and self.schedule not in self.group_plan.schedules:
            raise ValidationError(
                {
                    "schedule": f"A {self.group_plan.get_plan_type_display()} plan has no "
                    f"{FeeSchedule(self.schedule).label.lower()}."
                }
            )


# --- Who is covered ------------------------------------------------------------------------------


class Subscription(models.Model):
    """A subscriber's (policy holder's) membership of a group plan.

    The subscriber is a patient record even when they are not treated here (a spouse, a parent).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    group_plan = models.ForeignKey(
        GroupPlan, on_delete=models.PROTECT, related_name="subscriptions"
    )
    subscriber = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="subscriptions"
    )
    member_id = models.CharField(max_length=80, blank=True)
    # Needed for waiting periods; without it none is applied.
    effective_date = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["effective_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(effective_date__isnull=True)
                | Q(ended_on__gte=models.F("effective_date")),
                name="subscription_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return "Subscription"

    def clean(self) -> None:
        _same_practice(
            self,
            group_plan=self.group_plan if self.group_plan_id else None,
            subscriber=self.subscriber if self.subscriber_id else None,
        )
        if self.effective_date and self.ended_on and self.ended_on < self.effective_date:
            raise ValidationError({"ended_on": "The coverage cannot end before it starts."})


class Relationship(models.TextChoices):
    SELF = "self", "Self (the subscriber)"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    OTHER = "other", "Other"


class Coverage(models.Model):
    """A patient covered by a subscription, in payment order: 1 is primary, 2 secondary, …"""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="coverages"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="coverages"
    )
    ordinal = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    relationship = models.CharField(max_length=10, choices=Relationship.choices)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "ordinal"], name="unique_coverage_ordinal"),
            models.UniqueConstraint(
                fields=["patient", "subscription"], name="unique_coverage_per_subscription"
            ),
            models.CheckConstraint(
                condition=Q(ordinal__gte=1, ordinal__lte=4), name="coverage_ordinal_1_4"
            ),
        ]

    def __str__(self) -> str:
        return {1: "Primary", 2: "Secondary", 3: "Tertiary"}.get(self.ordinal, "Fourth") + (
            " coverage"
        )

    def clean(self) -> None:
        subscription = self.subscription if self.subscription_id else None
        _same_practice(
            self, patient=self.patient if self.patient_id else None, subscription=subscription
        )
        if subscription is None or not self.patient_id:
            return
        is_subscriber = subscription.subscriber_id == self.patient_id
        if is_subscriber and self.relationship != Relationship.SELF:
            raise ValidationError({"relationship": "The subscriber's own coverage is “self”."})
        if not is_subscriber and self.relationship == Relationship.SELF:
            raise ValidationError(
                {"relationship": "Only the subscriber is “self”: choose spouse, child or other."}
            )


# --- What the plans have paid --------------------------------------------------------------------


class HistoryKind(models.TextChoices):
    PAID = "paid", "Paid claim line"
    PENDING = "pending", "Sent, not yet paid"
    BENEFITS_USED = "benefits_used", "Benefits used (no procedure)"
    DONE_ELSEWHERE = "done_elsewhere", "Done at another office"


class HistorySource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    ELIGIBILITY_271 = "eligibility_271", "Eligibility check (271)"
    PHONE = "phone", "Phone call with the payer"


class InsuranceHistory(models.Model):
    """Earlier usage of a subscription by one covered patient (contract §3.8).

    It counts toward that plan's maximums, deductibles and frequency limits, per its kind.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="history")
    # Whose usage it is: a family member's counts toward family deductibles and maximums only.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="insurance_history"
    )
    kind = models.CharField(max_length=15, choices=HistoryKind.choices)
    code = models.CharField(max_length=5, blank=True, validators=[CODE_VALIDATOR])
    service_date = models.DateField()
    # What the plan paid (or is expected to pay); zero for work done elsewhere.
    amount = _money(default=0)
    deductible = _money(default=0)
    # Null: no write-off known (not the same as 0.00).
    writeoff = _money(null=True, blank=True)
    tooth = models.CharField(max_length=2, blank=True)
    surfaces = models.CharField(max_length=5, blank=True)
    area = models.CharField(max_length=2, choices=Area.choices, blank=True)
    source = models.CharField(
        max_length=20, choices=HistorySource.choices, default=HistorySource.MANUAL
    )
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["service_date", "recorded_at"]
        verbose_name_plural = "insurance history"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="benefits_used", code="", tooth="", surfaces="", area="")
                | (~Q(kind="benefits_used") & ~Q(code="")),
                name="history_code_unless_benefits_used",
            ),
            models.CheckConstraint(
                condition=~Q(kind="done_elsewhere")
                | Q(amount=0, deductible=0, writeoff__isnull=True),
                name="history_elsewhere_pays_nothing",
            ),
            models.CheckConstraint(
                condition=~Q(kind="benefits_used") | Q(writeoff__isnull=True),
                name="history_benefits_used_no_writeoff",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, deductible__gte=0)
                & (Q(writeoff__isnull=True) | Q(writeoff__gte=0)),
                name="history_amounts_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "service_date"], name="history_sub_date_idx"),
            models.Index(fields=["patient", "service_date"], name="history_patient_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}".strip()

    def clean(self) -> None:
        _same_practice(
            self,
            subscription=self.subscription if self.subscription_id else None,
            patient=self.patient if self.patient_id else None,
        )
        errors: dict[str, str] = {}
        if self.kind == HistoryKind.BENEFITS_USED:
            for field in ("code", "tooth", "surfaces", "area"):
                if getattr(self, field):
                    errors[field] = "“Benefits used” is not about a procedure: leave this empty."
            if self.writeoff is not None:
                errors["writeoff"] = "“Benefits used” has no write-off."
        elif self.kind and not self.code:
            errors["code"] = "Which procedure was it?"
        if self.kind == HistoryKind.DONE_ELSEWHERE:
            for field in ("amount", "deductible"):
                if getattr(self, field):
                    errors[field] = "Work done elsewhere was not paid by this plan here."
            if self.writeoff is not None:
                errors["writeoff"] = "Work done elsewhere has no write-off here."
        if self.tooth and (problem := tooth_problem(self.tooth)):
            errors.setdefault("tooth", _sentence(problem))
        if self.surfaces:
            if problem := surfaces_problem(self.surfaces):
                errors.setdefault("surfaces", _sentence(problem))
            elif not self.tooth:
                errors.setdefault("surfaces", "Surfaces need a tooth.")
        if self.tooth and self.area:
            errors.setdefault("area", "Give a tooth or an arch/quadrant, not both.")
        if errors:
            raise ValidationError(errors)


# --- Eligibility checks --------------------------------------------------------------------------


class EligibilityCheckKind(models.TextChoices):
    X12 = "x12", "Electronic (270/271)"
    PHONE = "phone", "Phone call"


class EligibilityCheck(models.Model):
    """One verification of a coverage with the payer: an electronic inquiry (X12 270) and its
    answer (271), or a phone call.

    An electronic check is recorded when its 270 is made; `active` stays None until the 271 is
    imported.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    # A coverage removed as entered by mistake takes its checks with it; ended ones keep them.
    coverage = models.ForeignKey(
        Coverage, on_delete=models.CASCADE, related_name="eligibility_checks"
    )
    kind = models.CharField(max_length=5, choices=EligibilityCheckKind.choices)
    # The day of the payer's answer (or of the 270, while there is none).
    checked_on = models.DateField()
    # TRN02 of the 270, echoed by the 271: how an imported answer finds its request.
    trace_number = models.CharField(max_length=50, blank=True)
    request_270 = models.TextField(blank=True)
    response_271 = models.TextField(blank=True)
    active = models.BooleanField(null=True, blank=True)
    # What the answer said and what importing it changed, for the check's page.
    summary = models.JSONField(default=dict, blank=True)
    # The payer's free-text messages, verbatim, one a line.
    messages = models.TextField(blank=True)
    spoke_with = models.CharField(max_length=200, blank=True)
    reference_number = models.CharField(max_length=80, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="phone") | Q(request_270="", response_271="", trace_number=""),
                name="eligibility_phone_has_no_x12",
            ),
            models.CheckConstraint(
                condition=~Q(kind="x12") | Q(spoke_with="", reference_number=""),
                name="eligibility_x12_has_no_call",
            ),
        ]
        indexes = [
            models.Index(fields=["coverage", "-recorded_at"], name="eligibility_coverage_idx"),
            models.Index(fields=["practice", "trace_number"], name="eligibility_trace_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} eligibility check"

    @property
    def awaiting_answer(self) -> bool:
        return self.kind == EligibilityCheckKind.X12 and not self.response_271

    def clean(self) -> None:
        _same_practice(self, coverage=self.coverage if self.coverage_id else None)


class X12ControlNumber(models.Model):
    """The last interchange control number (ISA13/GS06) a practice used: one row per practice,
    counted up under a row lock so that two requests never share a number."""

    practice = models.OneToOneField(
        Practice, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    last_number = models.PositiveIntegerField(default=0)

    objects = ScopedManager(practice="practice")

    def __str__(self) -> str:
        return "X12 control number"
