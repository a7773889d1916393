"""How fast are insurance estimates?

Creates a scratch PostgreSQL database (dropped at the end, also on failure) and seeds one
practice with 1,000 patients, each with a primary PPO and a secondary percentage plan (full
benefit rows and fee schedules) and a year of claims (24 history rows per coverage), and a
30-procedure treatment plan in three phases. Then measures:

1. one plan, end to end as the plan page does it (load the coverages, build the scenario,
   estimate): the median of 30 runs after 3 warm-ups, and its query count;
2. the engine alone on that plan's scenario (validation and arithmetic, no database);
3. all 1,000 plans one after another, end to end;
4. `manage.py estimate` on a batch of the 1,000 scenarios (one process).

Prints a table, then one JSON line with the figures.

    DATABASE_URL=postgres://root@127.0.0.1:5432/coordinator .venv/bin/python benchmarks/estimates.py
"""

# isort: off
from harness import run_in_scratch_database  # first: it sets Django up
# isort: on

import datetime
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from coordinator.models import Membership, Practice, User
from insurance import engine
from insurance.models import (
    Benefit,
    Carrier,
    Coverage,
    FeeScheduleEntry,
    GroupPlan,
    InsuranceHistory,
    Subscription,
)
from insurance.plan_estimates import estimate_option, patient_coverages
from patients.models import Patient
from plans.catalog import category_for_code
from plans.models import Phase, PlannedProcedure, ProcedureCode, TreatmentOption, TreatmentPlan
from plans.teeth import site_for_code

PATIENTS = 1000
PROCEDURES = 30
HISTORY_PER_COVERAGE = 24
RUNS = 30
WARM_UP = 3
SEED = 2026
AS_OF = datetime.date(2026, 11, 27)
BATCH = 2000
CATALOG = {
    "D0120": "65.00",
    "D0274": "75.00",
    "D1110": "115.00",
    "D2391": "195.00",
    "D2392": "245.00",
    "D2740": "1250.00",
    "D2950": "295.00",
    "D3330": "1150.00",
    "D4341": "265.00",
    "D6240": "1150.00",
    "D7140": "185.00",
}
PLANNED = ["D2391", "D2392", "D2740", "D2950", "D3330", "D4341", "D6240", "D7140"]
BENEFITS = [
    ("coverage", "category:diagnostic", {"percent": 100}),
    ("coverage", "category:preventive", {"percent": 100}),
    ("coverage", "category:restorative", {"percent": 80}),
    ("coverage", "category:endodontics", {"percent": 80}),
    ("coverage", "category:periodontics", {"percent": 80}),
    ("coverage", "category:oral_surgery", {"percent": 80}),
    ("coverage", "category:crowns", {"percent": 50}),
    ("coverage", "category:prosthodontics", {"percent": 50}),
    ("deductible", "general", {"amount": Decimal(50), "level": "individual"}),
    ("deductible", "general", {"amount": Decimal(150), "level": "family"}),
    ("deductible", "category:preventive", {"amount": Decimal(0), "level": "individual"}),
    ("maximum", "general", {"amount": Decimal(1500), "level": "individual"}),
    ("frequency", "code_group:D0120,D0150", {"count": 2, "per": "calendar_year"}),
    ("frequency", "code:D1110", {"count": 2, "per": "benefit_year"}),
    ("frequency", "code:D0274", {"count": 1, "per": "last_12_months"}),
    ("frequency", "code:D2740", {"count": 1, "per": "years:5", "area": "tooth"}),
    ("waiting_period", "category:prosthodontics", {"months": 12}),
]


def main() -> None:
    run_in_scratch_database("estimates", run)


def run() -> dict:
    seeded = seed()
    practice = seeded["practice"]
    with scope(practice=practice):
        one = time_one_plan(practice, seeded["plans"][0])
        engine_ms = time_engine_alone(one["scenario"])
        every = time_every_plan(practice, seeded["plans"])
    command = time_command(every["scenarios"])
    print(
        f"{PATIENTS:,} patients, each with 2 coverages, {2 * HISTORY_PER_COVERAGE} claims in the "
        f"last year and a {PROCEDURES}-procedure plan; seeded in {seeded['seconds']:.1f} s"
    )
    print(f"{'measure':<52} {'value':>12}")
    print(
        f"{'one plan, end to end: median ms (' + str(RUNS) + ' runs)':<52} {one['median']:>12.1f}"
    )
    print(f"{'one plan, end to end: queries':<52} {one['queries']:>12}")
    print(f"{'one plan, engine alone: median ms':<52} {engine_ms:>12.2f}")
    print(f"{'1,000 plans, end to end: seconds':<52} {every['seconds']:>12.2f}")
    print(f"{'1,000 plans, manage.py estimate batch: seconds':<52} {command:>12.2f}")
    return {
        "benchmark": "estimates",
        "patients": PATIENTS,
        "procedures_per_plan": PROCEDURES,
        "coverages_per_patient": 2,
        "history_rows_per_patient": 2 * HISTORY_PER_COVERAGE,
        "one_plan_median_ms": round(one["median"], 2),
        "one_plan_queries": one["queries"],
        "engine_alone_median_ms": round(engine_ms, 3),
        "thousand_plans_seconds": round(every["seconds"], 2),
        "command_batch_seconds": round(command, 2),
    }


def seed() -> dict:
    started = time.perf_counter()
    rng = random.Random(SEED)
    practice = Practice.objects.create(slug="bench-estimates", name="Bench Estimates Dental")
    with scope(practice=practice):
        codes = {
            code: ProcedureCode.objects.create(
                practice=practice,
                code=code,
                category=category_for_code(code),
                description=f"Procedure {code}",
                fee=Decimal(fee),
                site=site_for_code(code),
            )
            for code, fee in CATALOG.items()
        }
        ppo = _group_plan(practice, "ppo", "Bench PPO", fees=Decimal("0.7"))
        percentage = _group_plan(practice, "percentage", "Bench Indemnity", fees=None)
        patients = Patient.objects.bulk_create(
            (
                Patient(
                    practice=practice,
                    ref=f"P{n:05d}",
                    first_name="Pat",
                    last_name=f"Bench{n}",
                    birth_date=datetime.date(1960, 1, 1) + datetime.timedelta(days=7 * n),
                )
                for n in range(PATIENTS)
            ),
            batch_size=BATCH,
        )
        subscriptions, coverages, history = [], [], []
        for patient in patients:
            for ordinal, group_plan in ((1, ppo), (2, percentage)):
                subscription = Subscription(
                    practice=practice,
                    group_plan=group_plan,
                    subscriber=patient,
                    member_id=f"M{patient.ref}{ordinal}",
                    effective_date=datetime.date(2020, 1, 1),
                )
                subscriptions.append(subscription)
                coverages.append(
                    Coverage(
                        practice=practice,
                        patient=patient,
                        subscription=subscription,
                        ordinal=ordinal,
                        relationship="self",
                    )
                )
                for _ in range(HISTORY_PER_COVERAGE):
                    code = rng.choice(list(CATALOG))
                    history.append(
                        InsuranceHistory(
                            practice=practice,
                            subscription=subscription,
                            patient=patient,
                            kind="paid",
                            code=code,
                            tooth=str(rng.randint(1, 32)) if code >= "D2000" else "",
                            service_date=AS_OF - datetime.timedelta(days=rng.randrange(365)),
                            amount=Decimal(rng.randrange(0, 120)),
                            deductible=Decimal(0),
                        )
                    )
        Subscription.objects.bulk_create(subscriptions, batch_size=BATCH)
        Coverage.objects.bulk_create(coverages, batch_size=BATCH)
        InsuranceHistory.objects.bulk_create(history, batch_size=BATCH)
        plans = _plans(practice, patients, codes, rng)
    return {"practice": practice, "plans": plans, "seconds": time.perf_counter() - started}


def _group_plan(practice, plan_type, name, fees: Decimal | None) -> GroupPlan:
    plan = GroupPlan.objects.create(
        practice=practice,
        carrier=Carrier.objects.create(practice=practice, name=name),
        employer=name,
        plan_type=plan_type,
        benefits_source="eligibility_271",
        benefits_updated_on=AS_OF - datetime.timedelta(days=10),
    )
    Benefit.objects.bulk_create(
        Benefit(
            practice=practice,
            group_plan=plan,
            kind=kind,
            scope=scope_text,
            **({"period": "benefit_year"} if kind in ("deductible", "maximum") else {}),
            **values,
        )
        for kind, scope_text, values in BENEFITS
    )
    if fees is not None:
        FeeScheduleEntry.objects.bulk_create(
            FeeScheduleEntry(
                practice=practice,
                group_plan=plan,
                schedule="allowed",
                code=code,
                amount=(Decimal(fee) * fees).quantize(Decimal("1")),
            )
            for code, fee in CATALOG.items()
        )
    return plan


def _plans(practice, patients, codes, rng) -> list[TreatmentPlan]:
    dentist = User.objects.create_user("dentist@bench.example", None, name="Dr. Bench")
    Membership.objects.create(user=dentist, practice=practice, role="dentist")
    plans = TreatmentPlan.objects.bulk_create(
        (
            TreatmentPlan(practice=practice, patient=patient, dentist=dentist, title="Bench")
            for patient in patients
        ),
        batch_size=BATCH,
    )
    options = TreatmentOption.objects.bulk_create(
        (
            TreatmentOption(practice=practice, plan=plan, name="Plan", recommended=True)
            for plan in plans
        ),
        batch_size=BATCH,
    )
    phases = Phase.objects.bulk_create(
        (
            Phase(practice=practice, option=option, number=number)
            for option in options
            for number in (1, 2, 3)
        ),
        batch_size=BATCH,
    )
    procedures = []
    for index, option in enumerate(options):
        for n in range(PROCEDURES):
            code = codes[rng.choice(PLANNED)]
            procedures.append(
                PlannedProcedure(
                    practice=practice,
                    option=option,
                    phase=phases[3 * index + n * 3 // PROCEDURES],
                    procedure_code=code,
                    tooth=str(rng.randint(1, 32)),
                    surfaces="MO" if code.code.startswith("D239") else "",
                    fee=code.fee,
                    position=n,
                )
            )
    PlannedProcedure.objects.bulk_create(procedures, batch_size=BATCH)
    return plans


def _estimate(practice, plan):
    option = plan.options.get()
    procedures = list(option.procedures.select_related("phase", "procedure_code"))
    return estimate_option(
        practice=practice,
        patient=plan.patient,
        procedures=procedures,
        coverages=patient_coverages(patient=plan.patient, as_of=AS_OF),
        as_of=AS_OF,
    )


def time_one_plan(practice, plan) -> dict:
    plan = TreatmentPlan.objects.select_related("patient").get(pk=plan.pk)
    for _ in range(WARM_UP):
        estimate = _estimate(practice, plan)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        estimate = _estimate(practice, plan)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        _estimate(practice, plan)
        timings.append((time.perf_counter() - started) * 1000)
    assert len(estimate.procedures) == PROCEDURES
    return {
        "median": statistics.median(timings),
        "queries": len(captured),
        "scenario": estimate.scenario,
    }


def time_engine_alone(scenario: dict) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        engine.estimate(engine.read_scenario(scenario))
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def time_every_plan(practice, plans) -> dict:
    plans = list(
        TreatmentPlan.objects.filter(pk__in=[p.pk for p in plans]).select_related("patient")
    )
    started = time.perf_counter()
    scenarios = [_estimate(practice, plan).scenario for plan in plans]
    return {"seconds": time.perf_counter() - started, "scenarios": scenarios}


def time_command(scenarios: list[dict]) -> float:
    root = Path(__file__).resolve().parent.parent
    with tempfile.NamedTemporaryFile("w", suffix=".json") as batch:
        json.dump(scenarios, batch)
        batch.flush()
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, "manage.py", "estimate", batch.name],
            cwd=root,
            capture_output=True,
            check=False,
        )
        seconds = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"manage.py estimate failed: {finished.stderr.decode()[:500]}")
    if len(json.loads(finished.stdout)) != len(scenarios):
        raise SystemExit("manage.py estimate answered a different number of results")
    return seconds


if __name__ == "__main__":
    main()
