"""How fast is the patient search on a big practice?

Creates a scratch PostgreSQL database (dropped at the end, also on failure), seeds 50,000
patients in one practice and 3,000 in another, signs in a coordinator and times the patient list
request for the kinds of search staff type. Prints a table, then one JSON line with the figures.

    DATABASE_URL=postgres://root@127.0.0.1:5432/coordinator .venv/bin/python benchmarks/patients.py

The scratch database is migrated like production, so it has the search's trigram indexes
(patients/migrations/0002).
"""

# isort: off
from harness import run_in_scratch_database, time_page  # first: it sets Django up
# isort: on


import random
import time
from datetime import date, timedelta

from django.db import connection
from django.test import Client

PATIENTS = 50_000
OTHER_PATIENTS = 3_000
RUNS = 20
WARM_UP = 3
TARGET_MS = 150
SEED = 2026
QUERIES = {
    "name prefix": "gar",
    "full name": "maria gar",
    "phone": "(312) 555-01",
    "email": "@example",
    "birth date": "04/02/1979",
    "empty": "",
}

# Frequent names weighted so that "gar" and "maria" hit realistic shares of the list.
LAST_NAMES = (
    ["Garcia"] * 12
    + ["Garza"] * 3
    + ["Gardner"] * 2
    + ["Garner"] * 2
    + [
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Miller",
        "Davis",
        "Rodriguez",
        "Martinez",
        "Hernandez",
        "Lopez",
        "Gonzalez",
        "Wilson",
        "Anderson",
        "Thomas",
        "Taylor",
        "Moore",
        "Jackson",
        "Martin",
        "Lee",
        "Perez",
        "Thompson",
        "White",
        "Harris",
        "Sanchez",
        "Clark",
        "Ramirez",
        "Lewis",
        "Robinson",
        "Walker",
        "Young",
        "Allen",
        "King",
        "Wright",
        "Scott",
        "Torres",
        "Nguyen",
        "Hill",
        "Flores",
        "Green",
        "Adams",
        "Nelson",
        "Baker",
        "Hall",
        "Rivera",
        "Campbell",
        "Mitchell",
        "Carter",
        "Roberts",
        "Kowalski",
        "Patel",
        "Kim",
        "Okafor",
        "O'Brien",
        "Nowak",
        "Singh",
        "Tanaka",
        "Haddad",
        "Mensah",
        "Cohen",
    ]
    * 4
)
FIRST_NAMES = ["Maria"] * 6 + [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Wei",
    "Aisha",
    "Priya",
    "Mohammed",
    "Sofia",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Jose",
    "Ana",
    "Luis",
    "Grace",
    "Omar",
    "Fatima",
    "Hiroshi",
    "Anh",
    "Kwame",
    "Ingrid",
    "Tomasz",
    "Gary",
    "Garrett",
    "Darius",
    "Chloe",
    "Ethan",
] * 2


def main() -> None:
    run_in_scratch_database("patients", run)


def _no_outsiders(response) -> None:
    # The other practice's patients (all named Zzyzx) never show up.
    assert b"Zzyzx" not in response.content, "another practice's patient was listed"


def run() -> dict:
    from coordinator.models import Membership, Practice, User

    practice = Practice.objects.create(slug="bench-main", name="Bench Main Dental")
    other = Practice.objects.create(slug="bench-other", name="Bench Other Dental")
    rng = random.Random(SEED)
    started = time.perf_counter()
    seed_patients(practice, PATIENTS, rng, ref_prefix="M")
    seed_patients(other, OTHER_PATIENTS, rng, ref_prefix="O", last_name="Zzyzx")
    with connection.cursor() as cursor:
        # As autovacuum would: merge the GIN pending lists and refresh statistics.
        cursor.execute("VACUUM ANALYZE patients_patient")
    seeding = time.perf_counter() - started

    user = User.objects.create_user("bench@example.com", None, name="Bench Coordinator")
    Membership.objects.create(user=user, practice=practice, role="coordinator")
    client = Client()
    client.force_login(user)

    results = {}
    for kind, query in QUERIES.items():
        url = f"/p/{practice.slug}/patients/"
        params = {"q": query} if query else {}
        results[kind] = {
            "query": query,
            **time_page(client, url, params, runs=RUNS, warm_up=WARM_UP, check=_no_outsiders),
        }
    scoped = client.get(f"/p/{practice.slug}/patients/", {"q": "zzy"})
    assert b"Zzyzx" not in scoped.content, "a search reached another practice's patients"

    print(
        f"patient search: {PATIENTS:,} patients in {practice.slug} (+{OTHER_PATIENTS:,} in "
        f"{other.slug}); seeded in {seeding:.1f} s; "
        f"{RUNS} runs after {WARM_UP} warm-ups"
    )
    print(f"{'search':<12} {'q':<14} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for kind, figures in results.items():
        print(
            f"{kind:<12} {figures['query']!r:<14} {figures['median']:>10.1f} "
            f"{figures['p95']:>8.1f} {figures['queries']:>8}"
        )
    slowest = max(figures["median"] for figures in results.values())
    verdict = "within" if slowest < TARGET_MS else "OVER"
    print(f"slowest median {slowest:.1f} ms: {verdict} the {TARGET_MS} ms target")
    return {
        "benchmark": "patients",
        "patients": PATIENTS,
        "other_practice_patients": OTHER_PATIENTS,
        "runs": RUNS,
        "target_ms": TARGET_MS,
        "median_ms": {kind: round(f["median"], 1) for kind, f in results.items()},
        "p95_ms": {kind: round(f["p95"], 1) for kind, f in results.items()},
        "queries": {kind: f["queries"] for kind, f in results.items()},
    }


def seed_patients(practice, count: int, rng: random.Random, *, ref_prefix: str, last_name=None):
    from patients.models import Patient

    domains = ["example.com", "example.net", "example.org", "mail.test"]
    area_codes = ["312", "773", "872", "630", "708"]
    start = date(1935, 1, 1)
    span = (date(2022, 12, 31) - start).days
    batch = []
    for n in range(count):
        first = rng.choice(FIRST_NAMES)
        last = last_name or rng.choice(LAST_NAMES)
        exchange = "555" if rng.random() < 0.05 else str(rng.randint(200, 999))
        email = ""
        if rng.random() < 0.85:
            email = f"{first}.{last}{n}@{rng.choice(domains)}".lower().replace("'", "")
        batch.append(
            Patient(
                practice=practice,
                ref=f"{ref_prefix}{n:06d}",
                first_name=first,
                last_name=last,
                birth_date=start + timedelta(days=rng.randrange(span)),
                email=email,
                phone=f"+1{rng.choice(area_codes)}{exchange}{rng.randint(0, 9999):04d}",
                email_consent=bool(email) and rng.random() < 0.7,
                sms_consent=rng.random() < 0.5,
                archived_at=None if rng.random() < 0.98 else practice.created_at,
            )
        )
        if len(batch) == 5000:
            Patient.objects.bulk_create(batch)
            batch = []
    Patient.objects.bulk_create(batch)


if __name__ == "__main__":
    main()
