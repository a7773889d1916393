"""The practice's procedure catalog (treatment plans come in the plans issue)."""

import uuid

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django_scopes import ScopedManager

from coordinator.models import Practice


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
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(practice="practice")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="unique_code_per_practice")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"
