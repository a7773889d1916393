"""Query budgets: each page runs the same few queries for 1 row as for 30 (no N+1)."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coordinator.models import AuditEvent
from tests.factories import PatientFactory, UserFactory

# A ceiling for every page below; the exact count must also not grow with the rows.
BUDGET = 15
HTMX = {"HX-Request": "true", "HX-Target": "patient-results"}


def _seed_patients(practice, patient, start: int, stop: int) -> None:
    for n in range(start, stop):
        PatientFactory(practice=practice, first_name="Test", last_name=f"Patient{n:02d}")


def _seed_events(practice, patient, start: int, stop: int) -> None:
    """Events by different people about different patients, as a real log has."""
    for n in range(start, stop):
        other = PatientFactory(practice=practice, first_name="Test", last_name=f"Patient{n:02d}")
        actor = UserFactory(name=f"Staff {n:02d}")
        for about in (patient, other):
            AuditEvent.objects.create(
                practice=practice,
                actor=actor,
                action="patient.viewed",
                object_type="patients.patient",
                object_id=str(about.pk),
                patient_id=about.pk,
                ip_address="203.0.113.9",
            )


def _list(practice, patient) -> str:
    return reverse("patients:list", args=[practice.slug])


# Page → (url, query string, headers, how to add rows, a text each row shows, rows on 30).
PAGES = {
    "list": (_list, {}, {}, _seed_patients, b", Test</a>", 24),
    "search": (_list, {"q": "Test"}, {}, _seed_patients, b", Test</a>", 25),
    "htmx-partial": (_list, {"q": "Test"}, HTMX, _seed_patients, b", Test</a>", 25),
    "detail": (
        lambda practice, patient: reverse("patients:detail", args=[practice.slug, patient.pk]),
        {},
        {},
        _seed_events,
        b"Maria Gomez",
        1,
    ),
    "access-history": (
        lambda practice, patient: reverse(
            "patients:access_history", args=[practice.slug, patient.pk]
        ),
        {},
        {},
        _seed_events,
        b"Staff ",
        30,
    ),
    "practice-audit": (
        lambda practice, patient: reverse("practice_audit", args=[practice.slug]),
        {},
        {},
        _seed_events,
        b"Staff ",
        49,  # a page of 50, the newest being the viewer's own "audit viewed" event
    ),
    "export": (
        lambda practice, patient: reverse("patients:export", args=[practice.slug]),
        {},
        {},
        _seed_patients,
        b",Test,Patient",
        30,
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_rows(
    name, client_for, bob, practice, patient, django_assert_num_queries
):
    url_for, params, headers, seed, row_text, rows_on_30 = PAGES[name]
    url = url_for(practice, patient)
    client = client_for(bob)
    # A frozen clock: the session's activity stamp is written by the first request only, however
    # slowly this test runs on a busy machine.
    with time_machine.travel(timezone.now(), tick=False):
        client.get(_list(practice, patient))

        seed(practice, patient, 0, 1)
        with CaptureQueriesContext(connection) as one_row:
            small = client.get(url, params, headers=headers)
        assert small.status_code == 200
        assert len(one_row) <= BUDGET, "\n".join(q["sql"] for q in one_row.captured_queries)

        seed(practice, patient, 1, 30)
        with django_assert_num_queries(len(one_row)):
            large = client.get(url, params, headers=headers)
    assert large.status_code == 200
    # The rows are really on the page: the same count is not from an empty result.
    assert large.content.count(row_text) >= rows_on_30
