"""Reads for a patient's insurance: coverages in payment order, a subscription's history and
the eligibility checks, always within one practice and in a fixed number of queries."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from coordinator.models import Practice
from insurance.engine.values import benefit_year_start
from insurance.models import Coverage, EligibilityCheck, InsuranceHistory
from insurance.plan_estimates import stale_warnings
from patients.models import Patient

CHECKS_SHOWN = 50
HISTORY_PAGE_SIZE = 100


def coverages(*, practice: Practice) -> QuerySet[Coverage]:
    return Coverage.objects.filter(practice=practice).select_related(
        "patient", "subscription__group_plan__carrier", "subscription__subscriber"
    )


def coverage_get(*, practice: Practice, patient: Patient, coverage_id) -> Coverage:
    """The patient's coverage; 404 for anyone else's or another practice's."""
    return get_object_or_404(coverages(practice=practice), patient=patient, pk=coverage_id)


def coverage_ended(coverage: Coverage, today: datetime.date) -> bool:
    """Ended on or before today: it no longer takes a place in the payment order."""
    ended_on = coverage.subscription.ended_on
    return ended_on is not None and ended_on <= today


@dataclass(frozen=True)
class CoverageRow:
    """One coverage as the insurance page shows it."""

    coverage: Coverage
    ended: bool
    warnings: tuple[str, ...]
    age_days: int | None
    year_starts: datetime.date
    entries_this_year: int
    family: tuple[Patient, ...]  # everyone else covered by the same subscription

    @property
    def group_plan(self):
        return self.coverage.subscription.group_plan


@dataclass(frozen=True)
class InsurancePage:
    rows: list[CoverageRow]
    checks: list[EligibilityCheck]
    more_checks: bool


def patient_insurance(
    *, practice: Practice, patient: Patient, today: datetime.date
) -> InsurancePage:
    """Coverages with where their benefits came from and how old they are, this benefit year's
    history count per subscription, the family on each subscription, and the newest checks."""
    held = list(coverages(practice=practice).filter(patient=patient).order_by("ordinal"))
    year_starts = {
        c.pk: benefit_year_start(today, c.subscription.group_plan.renewal_month) for c in held
    }
    counts: dict = {}
    family: dict = defaultdict(list)
    if held:
        this_year = Q()
        for c in held:
            this_year |= Q(subscription_id=c.subscription_id, service_date__gte=year_starts[c.pk])
        counts = dict(
            InsuranceHistory.objects.filter(practice=practice)
            .filter(this_year)
            .values("subscription_id")
            .annotate(entries=Count("id"))
            .values_list("subscription_id", "entries")
        )
        others = (
            Coverage.objects.filter(
                practice=practice, subscription_id__in=[c.subscription_id for c in held]
            )
            .exclude(patient=patient)
            .select_related("patient")
            .order_by("patient__last_name", "patient__first_name", "patient_id")
        )
        for other in others:
            family[other.subscription_id].append(other.patient)
    rows = []
    for c in held:
        group_plan = c.subscription.group_plan
        verified_on = group_plan.benefits_updated_on
        rows.append(
            CoverageRow(
                coverage=c,
                ended=coverage_ended(c, today),
                warnings=stale_warnings(
                    group_plan.benefits_source,
                    verified_on,
                    today,
                    renewal_month=group_plan.renewal_month,
                    stale_after_days=practice.benefits_stale_after_days,
                ),
                age_days=(today - verified_on).days if verified_on else None,
                year_starts=year_starts[c.pk],
                entries_this_year=counts.get(c.subscription_id, 0),
                family=tuple(family[c.subscription_id]),
            )
        )
    checks = list(
        EligibilityCheck.objects.filter(practice=practice, coverage__patient=patient)
        .select_related("coverage__subscription__group_plan__carrier", "recorded_by")
        .defer("request_270", "response_271", "summary")
        .order_by("-recorded_at", "-id")[: CHECKS_SHOWN + 1]
    )
    return InsurancePage(
        rows=rows, checks=checks[:CHECKS_SHOWN], more_checks=len(checks) > CHECKS_SHOWN
    )


def patient_coverage_summary(*, practice: Practice, patient: Patient) -> list[Coverage]:
    """The patient page's insurance panel: every coverage with its plan, in one query."""
    return list(
        Coverage.objects.filter(practice=practice, patient=patient)
        .select_related("subscription__group_plan__carrier")
        .order_by("ordinal")
    )


def subscription_history(*, coverage: Coverage) -> QuerySet[InsuranceHistory]:
    """Everything recorded against the coverage's subscription (the whole family), newest
    first."""
    return (
        InsuranceHistory.objects.filter(
            practice_id=coverage.practice_id, subscription_id=coverage.subscription_id
        )
        .select_related("patient", "recorded_by")
        .order_by("-service_date", "-recorded_at", "-id")
    )


def history_entry_get(*, coverage: Coverage, entry_id) -> InsuranceHistory:
    return get_object_or_404(
        InsuranceHistory,
        practice_id=coverage.practice_id,
        subscription_id=coverage.subscription_id,
        pk=entry_id,
    )


def subscription_patients(*, coverage: Coverage) -> list[Patient]:
    """Who the subscription covers (the family whose usage it records), this patient first."""
    covered = (
        Coverage.objects.filter(
            practice_id=coverage.practice_id, subscription_id=coverage.subscription_id
        )
        .select_related("patient")
        .order_by("patient__last_name", "patient__first_name", "patient_id")
    )
    patients = [c.patient for c in covered]
    return sorted(patients, key=lambda p: p.pk != coverage.patient_id)


def check_get(*, coverage: Coverage, check_id) -> EligibilityCheck:
    return get_object_or_404(
        EligibilityCheck.objects.select_related("recorded_by"),
        practice_id=coverage.practice_id,
        coverage=coverage,
        pk=check_id,
    )
