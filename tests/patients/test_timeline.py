"""The patient page: the patient's plans and one timeline of everything that happened to them."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from plans import services
from plans.overview_selectors import patient_timeline
from tests.factories import PatientFactory
from tests.plans.overview_builders import PlanMaker, make_catalog

ALTERNATIVES = (
    ("Implant", [("implant", {"tooth": "19"})]),
    ("Bridge", [("bridge", {"tooth": "19"}), ("filling", {"tooth": "30", "surfaces": "MO"})]),
)
CLEANING = (("Gums", [("srp", {"area": "UR"}), ("srp", {"area": "LL"})]),)


@pytest.fixture
def maker(practice, alice, dave):
    with scope(practice=practice):
        return PlanMaker(practice, alice, dave, make_catalog(practice))


@pytest.fixture
def history(practice, patient, maker):
    """A year of one patient: two plans, two presentations, decisions and completed work."""
    start = timezone.now() - datetime.timedelta(days=40)

    def on(day):
        return time_machine.travel(start + datetime.timedelta(days=day), tick=False)

    with scope(practice=practice):
        with on(0):
            molar = maker.plan(patient, *ALTERNATIVES, title="Missing molar")
        with on(1):
            maker.present(molar, at=timezone.now())
        with on(3):
            maker.decide(molar, molar.procedures[1][1], "deferred", reason="waiting_for_benefits")
        with on(10):
            maker.present(molar, at=timezone.now(), mode="phone")
        with on(12):
            maker.accept_option(molar, 1)
        with on(20):
            maker.complete(molar, molar.procedures[1][0])
        with on(25):
            gums = maker.plan(patient, *CLEANING, title="Gum treatment")
        with on(26):
            maker.decide(gums, gums.procedures[0][1], "declined", reason="cost")
        with on(30):
            services.plan_close(plan=gums.plan, request=None, reason="abandoned")
        # Someone else's history never shows.
        other = maker.plan(PatientFactory(practice=practice), *CLEANING, title="Not hers")
        maker.present(other)
    return molar, gums


def test_the_timeline_is_newest_first_and_complete(practice, patient, history):
    molar, gums = history
    with scope(practice=practice):
        entries = patient_timeline(practice=practice, patient=patient)
    story = [(entry.kind, entry.plan.title, entry.procedures) for entry in entries]
    assert story == [
        ("closed", "Gum treatment", []),
        ("declined", "Gum treatment", ["D4341 LL"]),
        ("diagnosed", "Gum treatment", []),
        ("created", "Gum treatment", []),
        ("completed", "Missing molar", ["D6240 #19"]),
        # Accepting the bridge option accepts its work and declines the implant: two entries.
        ("accepted", "Missing molar", ["D6240 #19", "D2391 #30 MO"]),
        ("declined", "Missing molar", ["D6010 #19"]),
        ("presented", "Missing molar", []),
        ("deferred", "Missing molar", ["D2391 #30 MO"]),
        ("presented", "Missing molar", []),
        ("diagnosed", "Missing molar", []),
        ("created", "Missing molar", []),
    ]
    assert [entry.at for entry in entries] == sorted((entry.at for entry in entries), reverse=True)
    by_kind = {entry.kind: entry for entry in reversed(entries)}
    assert by_kind["deferred"].reason == "Waiting for benefits to renew"
    assert by_kind["deferred"].note == "Asked about payment plans."
    assert by_kind["presented"].presentation is not None
    assert by_kind["presented"].by.name == "Alice Coordinator"
    assert by_kind["completed"].by.name == "Dave Dentist"
    assert by_kind["closed"].reason == "Abandoned"


def test_the_patient_page_shows_plans_and_timeline(practice, patient, history, alice, client_for):
    molar, gums = history
    html = client_for(alice).get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    html = html.content.decode()
    plan_url = reverse("plans:detail", args=[practice.slug, molar.plan.pk])
    assert f'<a href="{plan_url}">Missing molar</a>' in html
    assert '<span class="badge status status-in_treatment">In treatment</span>' in html
    assert '<span class="badge status status-closed">Closed</span>' in html
    assert "$1,360.00" in html  # the chosen bridge option, as presented
    assert "Not hers" not in html
    # Entries link to the plan and, for presentations, to the presentation as shown.
    with scope(practice=practice):
        presentation = molar.plan.presentations.order_by("at").first()
    assert (
        reverse("overview:presentation", args=[practice.slug, molar.plan.pk, presentation.pk])
        in html
    )
    assert "Presented (phone)" in html
    assert "(Waiting for benefits to renew)" in html
    assert "D6240 #19, D2391 #30 MO" in html
    assert html.index("Closed</strong>") < html.index("Presented (in person)")
    assert reverse("plans:create", args=[practice.slug, patient.pk]) in html


@pytest.mark.parametrize(("actor", "offered"), [("alice", True), ("dave", True), ("erin", False)])
def test_new_plan_is_offered_to_those_who_may_diagnose(
    request, actor, offered, practice, patient, client_for
):
    html = client_for(request.getfixturevalue(actor)).get(
        reverse("patients:detail", args=[practice.slug, patient.pk])
    )
    assert html.status_code == 200
    assert ("New plan</a>" in html.content.decode()) is offered
    assert "No treatment plans yet." in html.content.decode()


def _seed_events(practice, patient, maker, start, stop):
    """Presentations and decisions on one plan per call: more events, not more plans."""
    for _ in range(start, stop):
        built = maker.plan(patient, *CLEANING)
        maker.present(built)
        maker.decide(built, built.procedures[0][0], "declined", reason="fear")
        maker.complete(built, built.procedures[0][1])


def test_query_count_does_not_grow_with_the_history(
    practice, patient, maker, alice, client_for, django_assert_num_queries
):
    url = reverse("patients:detail", args=[practice.slug, patient.pk])
    client = client_for(alice)
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url)
        with scope(practice=practice):
            _seed_events(practice, patient, maker, 0, 1)
        with CaptureQueriesContext(connection) as one:
            small = client.get(url)
        assert small.status_code == 200
        # Two of them are the follow-up touches and reminders.
        assert len(one) <= 13, "\n".join(q["sql"] for q in one.captured_queries)
        with scope(practice=practice):
            _seed_events(practice, patient, maker, 1, 4)
        with django_assert_num_queries(len(one)):
            large = client.get(url)
    # Each plan: created, diagnosed, presented, declined, completed.
    assert large.content.decode().count('class="timeline-entry') == 20
