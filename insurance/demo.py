"""Insurance for the demo practices: a PPO, a percentage plan and a PPO with a missing-tooth
clause, held by about two thirds of the adults (some with two plans), with this year's claims.

Made after the demo's practice import (insurance is not part of the import contract). Safe
to run again: a practice that already has the demo carriers is left as it is.
"""

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django_scopes import scopes_disabled

from coordinator.models import Practice
from insurance.engine.values import add_months
from insurance.models import (
    Benefit,
    Carrier,
    Coverage,
    DowngradeRule,
    FeeScheduleEntry,
    GroupPlan,
    InsuranceHistory,
    Subscription,
)
from patients.models import Patient
from plans.models import ProcedureCode

_STANDARD_COVERAGE = [
    ("coverage", "category:diagnostic", {"percent": 100}),
    ("coverage", "category:preventive", {"percent": 100}),
    ("coverage", "category:restorative", {"percent": 80}),
    ("coverage", "category:endodontics", {"percent": 80}),
    ("coverage", "category:periodontics", {"percent": 80}),
    ("coverage", "category:oral_surgery", {"percent": 80}),
    ("coverage", "category:crowns", {"percent": 50}),
    ("coverage", "category:prosthodontics", {"percent": 50}),
    ("coverage", "category:implants", {"percent": 50}),
    ("deductible", "general", {"amount": "50.00"}),
    ("deductible", "general", {"amount": "150.00", "level": "family"}),
    ("deductible", "category:diagnostic", {"amount": "0.00"}),
    ("deductible", "category:preventive", {"amount": "0.00"}),
    ("frequency", "code_group:D0120,D0150", {"count": 2, "per": "calendar_year"}),
    ("frequency", "code_group:D1110,D1120", {"count": 2, "per": "benefit_year"}),
    ("frequency", "code:D0274", {"count": 1, "per": "last_12_months"}),
    ("frequency", "code_group:D0210,D0330", {"count": 1, "per": "years:5"}),
    ("frequency", "code:D2740", {"count": 1, "per": "years:5", "area": "tooth"}),
    ("age_limit", "code:D1351", {"max_age": 15}),
]

# (carrier, payer id, employer, group number, plan type, renewal month, allowed share of the
#  office fee, annual maximum, extra benefit rows, group plan fields, benefits source, days
#  since verification)
_PLANS = [
    (
        "Great Lakes Dental PPO",
        "GLD01",
        "Acme Logistics",
        "G100200",
        "ppo",
        1,
        Decimal("0.68"),
        "1500.00",
        [],
        {},
        "eligibility_271",
        12,
    ),
    (
        "Prairie Mutual Dental",
        "PMD22",
        "Riverside Schools",
        "RS-4410",
        "percentage",
        7,
        None,
        "2000.00",
        [
            ("coverage", "category:orthodontics", {"percent": 50}),
            ("maximum", "category:orthodontics", {"amount": "1500.00", "period": "lifetime"}),
            ("age_limit", "category:orthodontics", {"max_age": 19}),
        ],
        {},
        "manual",
        45,
    ),
    (
        "Union Benefit Administrators",
        "UBA07",
        "City of Lakeside",
        "COL-77",
        "ppo",
        1,
        Decimal("0.72"),
        "1250.00",
        [("waiting_period", "category:prosthodontics", {"months": 12})],
        {"missing_tooth_clause": True},
        "assumed",
        None,
    ),
]
_DOWNGRADES = [("D2391", "D2140", "posterior"), ("D2392", "D2140", "posterior")]
_CLAIMS = [  # (code, tooth, share of the maximum-counting payment)
    ("D1110", "", Decimal("0.68")),
    ("D0120", "", Decimal("0.68")),
    ("D2392", "30", Decimal("0.55")),
    ("D3330", "19", Decimal("0.56")),
]


@transaction.atomic
def load(today: datetime.date, seed: int) -> int:
    """Give the demo practices their insurance; the number of coverages created."""
    created = 0
    with scopes_disabled():
        for practice in Practice.objects.filter(organization__slug="lakeside-dental"):
            if Carrier.objects.filter(practice=practice, name=_PLANS[0][0]).exists():
                continue
            created += _load_practice(practice, today, random.Random(f"{seed}-{practice.slug}"))
    return created


def _load_practice(practice: Practice, today: datetime.date, rng: random.Random) -> int:
    fees = dict(ProcedureCode.objects.filter(practice=practice).values_list("code", "fee"))
    plans = [_group_plan(practice, spec, fees, today) for spec in _PLANS]
    adults = [
        patient
        for patient in Patient.objects.filter(practice=practice).order_by("ref")
        if patient.birth_date and (today - patient.birth_date).days > 18 * 365
    ]
    created = 0
    for patient in adults:
        roll = rng.random()
        if roll < 0.35:
            held = [plans[0]]
        elif roll < 0.5:
            held = [plans[1]]
        elif roll < 0.6:
            held = [plans[0], plans[1]]  # two employers: a PPO first, a percentage plan second
        elif roll < 0.68:
            held = [plans[2]]
        else:
            continue
        for ordinal, group_plan in enumerate(held, start=1):
            coverage = _cover(patient, group_plan, ordinal, today, rng)
            created += 1
            if ordinal == 1:
                _claims(coverage, fees, today, rng)
    return created


def _group_plan(practice, spec, fees: dict, today: datetime.date) -> GroupPlan:
    (carrier_name, payer_id, employer, group_number, plan_type, renewal, share, maximum) = spec[:8]
    extra_rows, fields, source, verified_days_ago = spec[8:]
    carrier = Carrier.objects.create(
        practice=practice, name=carrier_name, payer_id=payer_id, phone="+18005550100"
    )
    plan = GroupPlan.objects.create(
        practice=practice,
        carrier=carrier,
        employer=employer,
        group_number=group_number,
        name=f"{employer} dental",
        plan_type=plan_type,
        renewal_month=renewal,
        benefits_source=source,
        benefits_updated_on=(
            today - datetime.timedelta(days=verified_days_ago)
            if verified_days_ago is not None
            else None
        ),
        **fields,
    )
    rows = [*_STANDARD_COVERAGE, ("maximum", "general", {"amount": maximum}), *extra_rows]
    Benefit.objects.bulk_create(
        Benefit(
            practice=practice,
            group_plan=plan,
            kind=kind,
            scope=scope,
            source="eligibility_271" if source == "eligibility_271" else "manual",
            **_row_defaults(kind, values),
        )
        for kind, scope, values in rows
    )
    DowngradeRule.objects.bulk_create(
        DowngradeRule(practice=practice, group_plan=plan, code=code, to_code=to, when=when)
        for code, to, when in _DOWNGRADES
    )
    if share is not None:
        FeeScheduleEntry.objects.bulk_create(
            FeeScheduleEntry(
                practice=practice,
                group_plan=plan,
                schedule="allowed",
                code=code,
                amount=(fee * share).quantize(Decimal("1"), rounding=ROUND_HALF_UP),
            )
            for code, fee in sorted(fees.items())
        )
    return plan


def _row_defaults(kind: str, values: dict) -> dict:
    if kind in ("deductible", "maximum"):
        values = {"level": "individual", "period": "benefit_year", **values}
        values["amount"] = Decimal(values["amount"])
    return values


def _cover(patient, group_plan, ordinal, today, rng) -> Coverage:
    subscription = Subscription.objects.create(
        practice=patient.practice,
        group_plan=group_plan,
        subscriber=patient,
        member_id=f"{group_plan.carrier.payer_id}{rng.randrange(10**7, 10**8)}",
        effective_date=add_months(today, -rng.choice([6, 14, 30, 60])),
    )
    return Coverage.objects.create(
        practice=patient.practice,
        patient=patient,
        subscription=subscription,
        ordinal=ordinal,
        relationship="self",
    )


def _claims(coverage: Coverage, fees: dict, today: datetime.date, rng: random.Random) -> None:
    """This benefit year's paid claims: cleanings and exams, and sometimes bigger work."""
    year_start = datetime.date(today.year, 1, 1)
    days = max((today - year_start).days, 1)
    picks = _CLAIMS[:2] if rng.random() < 0.6 else _CLAIMS
    deductible_left = Decimal("50.00")  # waived on exams and cleanings
    for code, tooth, share in picks:
        if code not in fees:
            continue
        amount = (fees[code] * share).quantize(Decimal("0.01"))
        deductible = deductible_left if code.startswith(("D2", "D3")) else Decimal("0.00")
        deductible_left -= deductible
        InsuranceHistory.objects.create(
            practice=coverage.practice,
            subscription=coverage.subscription,
            patient=coverage.patient,
            kind="paid",
            code=code,
            tooth=tooth,
            service_date=year_start + datetime.timedelta(days=rng.randrange(days)),
            amount=max(amount - deductible, Decimal("0.00")),
            deductible=deductible,
        )
