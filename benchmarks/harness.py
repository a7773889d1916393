"""What the benchmarks share: Django on PostgreSQL, a scratch database, timing one page.

Imported first by each benchmark script (it sets Django up).
"""

import json
import math
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/coordinator")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordinator.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def run_in_scratch_database(label: str, run: Callable[[], dict]) -> None:
    """Run `run` in a new database (dropped afterwards, also on failure); print its JSON last."""
    if connection.vendor != "postgresql":
        sys.exit(f"benchmarks/{label}.py needs PostgreSQL: set DATABASE_URL=postgres://...")
    connection.settings_dict["TEST"]["NAME"] = f"coordinator_bench_{label}_{os.getpid()}"
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    settings.DEBUG = False  # as in production: no query log, no template debugging
    # Static files are not served here; whitenoise's notice about it is noise.
    warnings.filterwarnings("ignore", message="No directory at")
    try:
        figures = run()
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    print(json.dumps(figures))


def time_page(
    client: Client,
    url: str,
    params: dict,
    *,
    runs: int,
    warm_up: int,
    check: Callable[[HttpResponse], None] | None = None,
) -> dict:
    """Median and 95th percentile in ms of `runs` requests, and the queries of one."""
    for _ in range(warm_up):
        response = client.get(url, params)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    if check is not None:
        check(response)
    connection.queries_log.clear()  # a full log (maxlen) would count nothing
    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    query_count = len(captured)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[math.ceil(0.95 * len(timings)) - 1],
        "queries": query_count,
    }
