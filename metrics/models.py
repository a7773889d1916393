"""The practice's own goals for its figures (benchmarks disagree, so each practice sets its own)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_scopes import ScopedManager

from coordinator.models import Practice

DEFAULT_CASE_ACCEPTANCE_GOAL = Decimal("0.7500")


def _rate_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0100")), MaxValueValidator(Decimal("1.0000"))],
        **kwargs,
    )


class PracticeGoals(models.Model):
    """Goals as fractions (0.7500 is 75%); a practice without a row has the default goal."""

    practice = models.OneToOneField(
        Practice, on_delete=models.CASCADE, primary_key=True, related_name="metric_goals"
    )
    case_acceptance_rate = _rate_field(default=DEFAULT_CASE_ACCEPTANCE_GOAL)
    presentation_rate = _rate_field(null=True, blank=True)
    follow_up_conversion_rate = _rate_field(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(practice="practice")

    class Meta:
        verbose_name_plural = "practice goals"

    def __str__(self) -> str:
        return f"Goals of {self.practice}"
