"""How fast are the plan pages on a big practice, and how fast is a big import?

Creates a scratch PostgreSQL database (dropped at the end, also on failure), then:

1. imports a practice with 2,000 plans (10,000 procedures, their presentations, decisions and
   completions) through `import_practice`, and imports the same file again (which writes
   nothing);
2. seeds another practice with 20,000 plans (about 100,000 procedures; most presented, decided
   and partly completed) with bulk inserts, signs in a coordinator and times the plan page
   (`plans:detail`), the coordinator home (`overview:home`, theirs and the whole practice's) and
   the timeline of a patient with many plans (`patients:detail`): the median of 15 runs after
   3 warm-ups, and the number of queries of one request.

A page whose URL name does not resolve yet is reported as "not available". Prints a table, then
one JSON line with the figures.

    DATABASE_URL=postgres://root@127.0.0.1:5432/coordinator .venv/bin/python benchmarks/plans.py
"""

# isort: off
from harness import run_in_scratch_database, time_page  # first: it sets Django up
# isort: on


import io
import json
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django_scopes import scope

from coordinator.models import Membership, Practice, User
from patients.models import Patient
from plans.models import (
    CompletedProcedure,
    Decision,
    Phase,
    PlannedProcedure,
    Presentation,
    PresentedOption,
    PresentedProcedure,
    ProcedureCode,
    TreatmentOption,
    TreatmentPlan,
)
from plans.states import OptionState, plan_status
from plans.teeth import site_for_code

PLANS = 20_000
PATIENTS = 5_000
TIMELINE_PLANS = 40
IMPORT_PLANS = 2_000
RUNS = 15
WARM_UP = 3
SEED = 2026
BATCH = 5_000
START = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)

# code, category, fee, site-ish: (tooth?, surfaces?, area?)
CATALOG = [
    ("D0120", "diagnostic", "65.00", ""),
    ("D0210", "diagnostic", "150.00", ""),
    ("D1110", "preventive", "115.00", ""),
    ("D1351", "preventive", "55.00", "tooth"),
    ("D2391", "restorative", "195.00", "surfaces"),
    ("D2392", "restorative", "245.00", "surfaces"),
    ("D2740", "crowns", "1250.00", "tooth"),
    ("D2950", "restorative", "295.00", "tooth"),
    ("D3330", "endodontics", "1150.00", "tooth"),
    ("D4341", "periodontics", "265.00", "quadrant"),
    ("D4910", "periodontics", "150.00", ""),
    ("D6010", "implants", "2100.00", "tooth"),
    ("D6058", "implants", "1450.00", "tooth"),
    ("D6240", "prosthodontics", "1150.00", "tooth"),
    ("D7140", "oral_surgery", "185.00", "tooth"),
]


def main() -> None:
    run_in_scratch_database("plans", run)


def run() -> dict:
    importing = time_import()
    seeded = seed()
    pages = time_pages(seeded)

    print(
        f"import_practice, {IMPORT_PLANS:,} plans ({importing['procedures']:,} procedures, "
        f"{importing['presentations']:,} presentations, {importing['decisions']:,} decisions, "
        f"{importing['completed']:,} completed): {importing['seconds']:.1f} s "
        f"({importing['cpu_seconds']:.1f} s of Python), "
        f"{importing['queries']} queries; the same file again: "
        f"{importing['again_seconds']:.1f} s, {importing['again_writes']} writes"
    )
    print(
        f"plan pages: {PLANS:,} plans, {seeded['procedures']:,} procedures in one practice; "
        f"seeded in {seeded['seconds']:.1f} s; {RUNS} runs after {WARM_UP} warm-ups"
    )
    print(f"{'page':<28} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for page, figures in pages.items():
        if figures is None:
            print(f"{page:<28} {'not available':>28}")
        else:
            print(
                f"{page:<28} {figures['median']:>10.1f} {figures['p95']:>8.1f} "
                f"{figures['queries']:>8}"
            )
    return {
        "benchmark": "plans",
        "plans": PLANS,
        "procedures": seeded["procedures"],
        "runs": RUNS,
        "import": {
            "plans": IMPORT_PLANS,
            "seconds": round(importing["seconds"], 2),
            "cpu_seconds": round(importing["cpu_seconds"], 2),
            "queries": importing["queries"],
            "again_seconds": round(importing["again_seconds"], 2),
            "again_writes": importing["again_writes"],
        },
        "median_ms": {
            page: round(f["median"], 1) if f else "not available" for page, f in pages.items()
        },
        "p95_ms": {page: round(f["p95"], 1) if f else "not available" for page, f in pages.items()},
        "queries": {page: f["queries"] if f else "not available" for page, f in pages.items()},
    }


# --- 1. The import -----------------------------------------------------------------------------


def import_document(count: int, rng: random.Random) -> dict:
    """A practice file with `count` plans of five procedures, most presented and decided."""
    staff = [
        {"ref": "coord-1", "name": "Casey Coordinator", "email": "casey@import.example"},
        {"ref": "coord-2", "name": "Robin Coordinator", "email": "robin@import.example"},
        {"ref": "dr-1", "name": "Dana Dentist, DDS", "email": "dana@import.example"},
    ]
    for member in staff:
        member["role"] = "dentist" if member["ref"].startswith("dr") else "coordinator"
    document = {
        "format": "coordinator-practice/1",
        "practice": {"slug": "bench-import", "name": "Bench Import", "timezone": "America/Chicago"},
        "staff": staff,
        "procedure_codes": [
            {"code": code, "category": category, "description": f"Procedure {code}", "fee": fee}
            for code, category, fee, _site in CATALOG
        ],
        "patients": [
            {"ref": f"pt-{n}", "first_name": "Pat", "last_name": f"Import{n}"}
            for n in range(count // 2)
        ],
        "plans": [],
        "presentations": [],
        "decisions": [],
        "completed": [],
    }
    for n in range(count):
        ref = f"tp-{n}"
        diagnosed = START + timedelta(minutes=7 * n)
        procedures = [
            _procedure_record(f"{ref}-a-{i}", rng.choice(CATALOG), rng, phase=1 + i // 3)
            for i in range(5)
        ]
        document["plans"].append(
            {
                "ref": ref,
                "patient": f"pt-{n % (count // 2)}",
                "dentist": "dr-1",
                "diagnosed_at": diagnosed.strftime("%Y-%m-%dT%H:%M"),
                "options": [{"ref": f"{ref}-a", "procedures": procedures}],
            }
        )
        if rng.random() < 0.1:
            continue
        presented = diagnosed + timedelta(minutes=30)
        document["presentations"].append(
            {
                "ref": f"pr-{n}",
                "plan": ref,
                "by": rng.choice(["coord-1", "coord-2"]),
                "at": presented.strftime("%Y-%m-%dT%H:%M"),
                "mode": "in_person",
            }
        )
        decided = (presented + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        for procedure in procedures:
            kind = rng.choice(["accepted", "accepted", "declined"])
            decision = {"procedure": procedure["ref"], "decision": kind, "at": decided}
            if kind == "declined":
                decision["reason"] = "cost"
            else:
                document["completed"].append(
                    {
                        "procedure": procedure["ref"],
                        "on": (presented + timedelta(days=20)).date().isoformat(),
                    }
                )
            document["decisions"].append(decision)
    return document


def _procedure_record(ref: str, entry: tuple, rng: random.Random, *, phase: int) -> dict:
    code, _category, _fee, site = entry
    record = {"ref": ref, "code": code, "phase": phase}
    if site in ("tooth", "surfaces"):
        record["tooth"] = str(rng.randint(1, 32))
    if site == "surfaces":
        record["surfaces"] = rng.choice(["O", "MO", "DO"])
    if site == "quadrant":
        record["area"] = rng.choice(["UR", "UL", "LR", "LL"])
    return record


def time_import() -> dict:
    document = import_document(IMPORT_PLANS, random.Random(SEED))
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(document, file)
    try:
        with CaptureQueriesContext(connection) as queries:
            start, cpu = time.perf_counter(), time.process_time()
            call_command("import_practice", file.name, stdout=io.StringIO())
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        with CaptureQueriesContext(connection) as again:
            start = time.perf_counter()
            call_command("import_practice", file.name, stdout=io.StringIO())
            again_seconds = time.perf_counter() - start
    finally:
        Path(file.name).unlink()
    writes = [q for q in again if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "queries": len(queries),
        "again_seconds": again_seconds,
        "again_writes": len(writes),
        "procedures": sum(len(o["procedures"]) for p in document["plans"] for o in p["options"]),
        "presentations": len(document["presentations"]),
        "decisions": len(document["decisions"]),
        "completed": len(document["completed"]),
    }


# --- 2. Seeding 20,000 plans ------------------------------------------------------------------


class _Rows:
    """Rows of every model, flushed with bulk_create in dependency order."""

    def __init__(self, *models) -> None:
        self.rows = {model: [] for model in models}

    def add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    def flush(self) -> None:
        for model, rows in self.rows.items():
            model.objects.bulk_create(rows, batch_size=BATCH)
            rows.clear()


def seed() -> dict:
    started = time.perf_counter()
    rng = random.Random(SEED)
    practice = Practice.objects.create(
        slug="bench-plans", name="Bench Plans Dental", timezone="America/Chicago"
    )
    coordinators = []
    for n, name in enumerate(["Alex Coordinator", "Sam Coordinator"]):
        user = User.objects.create_user(f"coordinator{n}@bench.example", None, name=name)
        Membership.objects.create(user=user, practice=practice, role="coordinator")
        coordinators.append(user)
    dentists = []
    for n in range(3):
        user = User.objects.create_user(f"dentist{n}@bench.example", None, name=f"Dr. {n}")
        Membership.objects.create(user=user, practice=practice, role="dentist")
        dentists.append(user)
    counts = {"procedures": 0}
    with scope(practice=practice):
        codes = ProcedureCode.objects.bulk_create(
            ProcedureCode(
                practice=practice,
                code=code,
                category=category,
                description=f"Procedure {code}",
                fee=Decimal(fee),
                site=site_for_code(code),
            )
            for code, category, fee, _site in CATALOG
        )
        patients = Patient.objects.bulk_create(
            (
                Patient(
                    practice=practice,
                    ref=f"P{n:05d}",
                    first_name="Pat",
                    last_name=f"Bench{n}",
                    birth_date=date(1960, 1, 1) + timedelta(days=n),
                )
                for n in range(PATIENTS)
            ),
            batch_size=BATCH,
        )
        rows = _Rows(
            TreatmentPlan,
            TreatmentOption,
            Phase,
            PlannedProcedure,
            Presentation,
            PresentedOption,
            PresentedProcedure,
            Decision,
            CompletedProcedure,
        )
        timeline_patient = patients[0]
        detail_plan = None
        for n in range(PLANS):
            # The timeline patient has TIMELINE_PLANS plans; the others share the rest.
            patient = (
                timeline_patient
                if n < TIMELINE_PLANS
                else patients[1 + rng.randrange(PATIENTS - 1)]
            )
            plan, procedures = _seed_plan(
                rows, practice, patient, rng, n, codes, coordinators, dentists
            )
            counts["procedures"] += procedures
            if n == TIMELINE_PLANS and detail_plan is None:
                detail_plan = plan
            if n % 2_000 == 1_999:
                rows.flush()
        rows.flush()
        for number in range(30):  # checkups on the timeline patient's record
            CompletedProcedure.objects.create(
                practice=practice,
                patient=timeline_patient,
                ref=f"visit-{number}",
                procedure_code=codes[2],
                fee=codes[2].fee,
                completed_on=date(2025, 1, 10) + timedelta(days=12 * number),
                dentist=dentists[0],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "practice": practice,
        "coordinator": coordinators[0],
        "detail_plan": detail_plan,
        "timeline_patient": timeline_patient,
        "procedures": counts["procedures"],
        "seconds": time.perf_counter() - started,
    }


def _seed_plan(rows, practice, patient, rng, n, codes, coordinators, dentists):
    """One plan: one option (two for 15%), up to three phases, about five procedures; most
    presented, many decided, some completed. Statuses follow from the procedures."""
    diagnosed = START + timedelta(minutes=25 * n)
    presented = rng.random() < 0.9
    presenter = rng.choice(coordinators)
    plan = rows.add(
        TreatmentPlan(
            practice=practice,
            patient=patient,
            dentist=rng.choice(dentists),
            ref=f"TP{n:06d}",
            diagnosed_at=diagnosed,
            created_at=diagnosed,
            first_presented_at=diagnosed + timedelta(hours=1) if presented else None,
            status_changed_at=diagnosed,
        )
    )
    presentation = None
    if presented:
        presentation = rows.add(
            Presentation(
                practice=practice,
                plan=plan,
                presented_by=presenter,
                at=plan.first_presented_at,
                mode="in_person",
                plan_version=1,
            )
        )
    states = []
    total = 0
    options = 2 if rng.random() < 0.15 else 1
    outcome = rng.random()
    for position in range(options):
        option = rows.add(
            TreatmentOption(
                practice=practice,
                plan=plan,
                name="Recommended" if position == 0 else "Alternative",
                recommended=position == 0,
                position=position,
            )
        )
        phases = [
            rows.add(Phase(practice=practice, option=option, number=number))
            for number in range(1, rng.randint(1, 3) + 1)
        ]
        count = rng.randint(3, 7) if position == 0 else 2
        shown = None
        if presentation is not None:
            shown = rows.add(
                PresentedOption(
                    practice=practice,
                    presentation=presentation,
                    option=option,
                    name=option.name,
                    recommended=option.recommended,
                    position=position,
                    total_fee=Decimal(0),
                )
            )
        statuses = []
        for index in range(count):
            code = rng.choice(codes)
            phase = phases[min(index // 2, len(phases) - 1)]
            status = "proposed"
            if presented and position == 0:
                status = (
                    "completed"
                    if outcome < 0.35
                    else "accepted"
                    if outcome < 0.55
                    else "declined"
                    if outcome < 0.75
                    else "proposed"
                )
            procedure = rows.add(
                PlannedProcedure(
                    practice=practice,
                    option=option,
                    phase=phase,
                    procedure_code=code,
                    tooth=str(rng.randint(1, 32)) if code.site in ("tooth", "surfaces") else "",
                    surfaces="MO" if code.site == "surfaces" else "",
                    area="UR" if code.site == "quadrant" else "",
                    fee=code.fee,
                    position=index,
                    status=status,
                    status_changed_at=diagnosed + timedelta(days=2),
                )
            )
            statuses.append(status)
            total += 1
            if shown is not None:
                shown.total_fee += code.fee
                rows.add(
                    PresentedProcedure(
                        practice=practice,
                        presented_option=shown,
                        procedure=procedure,
                        code=code.code,
                        category=code.category,
                        description=code.description,
                        tooth=procedure.tooth,
                        surfaces=procedure.surfaces,
                        area=procedure.area,
                        phase_number=phase.number,
                        fee=code.fee,
                        position=index,
                    )
                )
            if status in ("accepted", "declined", "completed"):
                rows.add(
                    Decision(
                        practice=practice,
                        procedure=procedure,
                        kind="declined" if status == "declined" else "accepted",
                        at=diagnosed + timedelta(days=2),
                        reason="cost" if status == "declined" else "",
                    )
                )
            if status == "completed":
                rows.add(
                    CompletedProcedure(
                        practice=practice,
                        patient=patient,
                        planned=procedure,
                        procedure_code=code,
                        tooth=procedure.tooth,
                        fee=code.fee,
                        completed_on=(diagnosed + timedelta(days=20)).date(),
                        dentist=plan.dentist,
                    )
                )
        states.append(OptionState(recommended=option.recommended, statuses=tuple(statuses)))
    plan.status = plan_status(diagnosed=True, presented=presented, closed=False, options=states)
    return plan, total


# --- 3. The pages -----------------------------------------------------------------------------


def time_pages(seeded: dict) -> dict:
    practice = seeded["practice"]
    client = Client()
    client.force_login(seeded["coordinator"])
    slug = practice.slug
    pages = {
        "plan page": ("plans:detail", {"plan_id": seeded["detail_plan"].pk}, {}),
        "coordinator home (mine)": ("overview:home", {}, {"scope": "mine"}),
        "coordinator home (practice)": ("overview:home", {}, {"scope": "practice"}),
        "patient timeline": ("patients:detail", {"patient_id": seeded["timeline_patient"].pk}, {}),
    }
    results = {}
    for page, (name, kwargs, params) in pages.items():
        try:
            url = reverse(name, kwargs={"practice_slug": slug, **kwargs})
        except NoReverseMatch:
            results[page] = None
            continue
        results[page] = time_page(client, url, params, runs=RUNS, warm_up=WARM_UP)
    return results


if __name__ == "__main__":
    main()
