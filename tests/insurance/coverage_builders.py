"""Coverage for the estimate tests: a group plan with benefits and fees, held by a patient."""

import datetime
from decimal import Decimal

from django_scopes import scopes_disabled

from insurance.models import (
    Benefit,
    Carrier,
    Coverage,
    FeeScheduleEntry,
    GroupPlan,
    InsuranceHistory,
    Subscription,
)

PPO_BENEFITS = (
    {"kind": "coverage", "scope": "category:diagnostic", "percent": 100},
    {"kind": "coverage", "scope": "category:preventive", "percent": 100},
    {"kind": "coverage", "scope": "category:restorative", "percent": 80},
    {"kind": "coverage", "scope": "category:crowns", "percent": 50},
    {"kind": "coverage", "scope": "category:prosthodontics", "percent": 50},
    {"kind": "deductible", "scope": "general", "amount": "50.00"},
    {"kind": "deductible", "scope": "category:diagnostic", "amount": "0.00"},
    {"kind": "deductible", "scope": "category:preventive", "amount": "0.00"},
    {"kind": "maximum", "scope": "general", "amount": "1500.00"},
)


def group_plan(
    practice,
    *,
    plan_type="ppo",
    carrier="Delta Test",
    benefits=PPO_BENEFITS,
    fees=None,
    renewal_month=1,
    **fields,
) -> GroupPlan:
    with scopes_disabled():
        plan = GroupPlan.objects.create(
            practice=practice,
            carrier=Carrier.objects.create(practice=practice, name=carrier),
            employer=f"{carrier} employer",
            plan_type=plan_type,
            renewal_month=renewal_month,
            **fields,
        )
        for row in benefits:
            row = dict(row)
            if row["kind"] in ("deductible", "maximum"):
                row.setdefault("level", "individual")
                row.setdefault("period", "benefit_year")
            Benefit.objects.create(practice=practice, group_plan=plan, **row)
        for (schedule, code), amount in (fees or {}).items():
            FeeScheduleEntry.objects.create(
                practice=practice,
                group_plan=plan,
                schedule=schedule,
                code=code,
                amount=Decimal(amount),
            )
        return plan


def cover(
    patient, plan: GroupPlan, *, ordinal=1, subscriber=None, relationship=None, effective_date=None
) -> Coverage:
    subscriber = subscriber or patient
    with scopes_disabled():
        subscription = Subscription.objects.filter(group_plan=plan, subscriber=subscriber).first()
        if subscription is None:
            subscription = Subscription.objects.create(
                practice=patient.practice,
                group_plan=plan,
                subscriber=subscriber,
                member_id="M123",
                effective_date=effective_date,
            )
        return Coverage.objects.create(
            practice=patient.practice,
            patient=patient,
            subscription=subscription,
            ordinal=ordinal,
            relationship=relationship or ("self" if subscriber == patient else "child"),
        )


def used(
    coverage: Coverage,
    *,
    patient=None,
    kind="paid",
    code="D2391",
    day=None,
    amount="0.00",
    deductible="0.00",
    **fields,
) -> InsuranceHistory:
    with scopes_disabled():
        return InsuranceHistory.objects.create(
            practice=coverage.practice,
            subscription=coverage.subscription,
            patient=patient or coverage.patient,
            kind=kind,
            code="" if kind == "benefits_used" else code,
            service_date=day or datetime.date(2026, 2, 1),
            amount=Decimal(amount),
            deductible=Decimal(deductible),
            **fields,
        )
