"""Reads of carriers and group plans, always within one practice."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from coordinator.models import Practice
from insurance.models import (
    Benefit,
    BenefitKind,
    Carrier,
    DowngradeRule,
    FeeSchedule,
    FeeScheduleEntry,
    GroupPlan,
)


def carrier_list(*, practice: Practice, include_inactive: bool = True) -> QuerySet[Carrier]:
    carriers = Carrier.objects.filter(practice=practice).annotate(plan_count=Count("group_plans"))
    if not include_inactive:
        carriers = carriers.filter(is_active=True)
    return carriers.order_by("name", "id")


def carrier_get(*, practice: Practice, carrier_id) -> Carrier:
    """The practice's carrier; 404 for anything else."""
    return get_object_or_404(Carrier, practice=practice, pk=carrier_id)


def carrier_choices(*, practice: Practice, current: Carrier | None = None) -> QuerySet[Carrier]:
    """Carriers a group plan may be given: the active ones, and the one it has now."""
    condition = Q(is_active=True)
    if current is not None:
        condition |= Q(pk=current.pk)
    return Carrier.objects.filter(practice=practice).filter(condition).order_by("name")


def group_plan_search_filter(query: str) -> Q:
    """Every word appears in the employer, group number, plan name or carrier name."""
    condition = Q()
    for word in query.replace("\x00", "").split():
        condition &= (
            Q(employer__icontains=word)
            | Q(group_number__icontains=word)
            | Q(name__icontains=word)
            | Q(carrier__name__icontains=word)
        )
    return condition


def group_plan_list(
    *, practice: Practice, query: str = "", carrier_id=None, include_inactive: bool = False
) -> QuerySet[GroupPlan]:
    plans = (
        GroupPlan.objects.filter(practice=practice)
        .filter(group_plan_search_filter(query))
        .select_related("carrier")
    )
    if carrier_id:
        plans = plans.filter(carrier_id=carrier_id)
    if not include_inactive:
        plans = plans.filter(is_active=True)
    return plans.order_by("employer", "group_number", "id")


def group_plan_get(*, practice: Practice, plan_id) -> GroupPlan:
    """The practice's group plan with its carrier; 404 for anything else."""
    return get_object_or_404(
        GroupPlan.objects.select_related("carrier"), practice=practice, pk=plan_id
    )


def benefit_get(*, group_plan: GroupPlan, benefit_id) -> Benefit:
    return get_object_or_404(
        Benefit, practice_id=group_plan.practice_id, group_plan=group_plan, pk=benefit_id
    )


def downgrade_get(*, group_plan: GroupPlan, rule_id) -> DowngradeRule:
    return get_object_or_404(
        DowngradeRule, practice_id=group_plan.practice_id, group_plan=group_plan, pk=rule_id
    )


@dataclass(frozen=True)
class ScheduleView:
    schedule: str
    label: str
    entries: list[FeeScheduleEntry]


BENEFIT_HEADINGS = {
    BenefitKind.COVERAGE: "Coverage",
    BenefitKind.DEDUCTIBLE: "Deductibles",
    BenefitKind.MAXIMUM: "Maximums",
    BenefitKind.FREQUENCY: "Frequency limits",
    BenefitKind.AGE_LIMIT: "Age limits",
    BenefitKind.WAITING_PERIOD: "Waiting periods",
    BenefitKind.EXCLUSION: "Exclusions",
}


@dataclass(frozen=True)
class BenefitGroup:
    kind: str
    label: str
    heading: str
    rows: list[Benefit]


@dataclass(frozen=True)
class GroupPlanPage:
    """Everything the group plan page shows, read in a fixed number of queries."""

    benefits: list[BenefitGroup]
    downgrades: list[DowngradeRule]
    schedules: list[ScheduleView]
    covered: int


def group_plan_page(*, group_plan: GroupPlan) -> GroupPlanPage:
    by_kind: dict[str, list[Benefit]] = defaultdict(list)
    for benefit in Benefit.objects.filter(
        practice_id=group_plan.practice_id, group_plan=group_plan
    ):
        by_kind[benefit.kind].append(benefit)
    fees: dict[str, list[FeeScheduleEntry]] = defaultdict(list)
    for entry in FeeScheduleEntry.objects.filter(
        practice_id=group_plan.practice_id, group_plan=group_plan
    ):
        fees[entry.schedule].append(entry)
    return GroupPlanPage(
        benefits=[
            BenefitGroup(kind, label, BENEFIT_HEADINGS[kind], by_kind[kind])
            for kind, label in BenefitKind.choices
        ],
        downgrades=list(
            DowngradeRule.objects.filter(practice_id=group_plan.practice_id, group_plan=group_plan)
        ),
        # Schedules the plan type uses, then any left from an earlier type (shown to be removed).
        schedules=[
            ScheduleView(schedule, FeeSchedule(schedule).label, fees.get(schedule, []))
            for schedule in FeeSchedule.values
            if schedule in group_plan.schedules or fees.get(schedule)
        ],
        covered=group_plan.subscriptions.filter(ended_on__isnull=True).count(),
    )


def fee_amounts(
    *, group_plan: GroupPlan, schedule: str, for_update: bool = False
) -> dict[str, Decimal]:
    """One schedule by code (one query), as the import compares it."""
    entries = FeeScheduleEntry.objects.filter(
        practice_id=group_plan.practice_id, group_plan=group_plan, schedule=schedule
    )
    if for_update:
        entries = entries.select_for_update()
    return dict(entries.values_list("code", "amount"))


def fee_entries(*, group_plan: GroupPlan, schedule: str) -> list[tuple[str, Decimal]]:
    return list(
        FeeScheduleEntry.objects.filter(
            practice_id=group_plan.practice_id, group_plan=group_plan, schedule=schedule
        )
        .order_by("code")
        .values_list("code", "amount")
    )
