"""The audit trail: one event per look at or change to a patient, no PHI in it, never altered."""

import datetime
from types import SimpleNamespace

import pytest
from django.core import serializers
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from coordinator.models import AuditEvent
from patients.models import Patient
from tests.factories import PatientFactory
from tests.test_permission_matrix import REGISTRY, PracticeRoute

IP = "203.0.113.7"


def _events(**filters) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(**filters).order_by("id"))


def test_opening_a_patient_writes_one_viewed_event(client_for, alice, practice, patient):
    before = len(_events())
    response = client_for(alice).get(
        reverse("patients:detail", args=[practice.slug, patient.pk]),
        REMOTE_ADDR=IP,
        headers={"User-Agent": "Tablet in consult room 2"},
    )
    assert response.status_code == 200

    events = _events()[before:]
    assert [e.action for e in events] == ["patient.viewed"]
    [event] = events
    assert event.actor == alice
    assert event.practice == practice
    assert event.patient_id == patient.pk
    assert event.object_id == str(patient.pk)
    assert event.ip_address == IP
    assert event.user_agent == "Tablet in consult room 2"


def test_opening_the_edit_form_counts_as_viewing(client_for, alice, practice, patient):
    client_for(alice).get(reverse("patients:edit", args=[practice.slug, patient.pk]))
    assert [e.action for e in _events(patient_id=patient.pk)] == ["patient.viewed"]


def test_another_practices_patient_leaves_no_viewed_event(
    client_for, alice, practice, outsider_patient
):
    client_for(alice).get(reverse("patients:detail", args=[practice.slug, outsider_patient.pk]))
    assert _events(patient_id=outsider_patient.pk) == []


def test_the_list_writes_patients_listed(client_for, alice, practice, patient):
    client = client_for(alice)
    client.get(reverse("patients:list", args=[practice.slug]), REMOTE_ADDR=IP)
    client.get(reverse("patients:list", args=[practice.slug]), {"q": "Gomez"}, REMOTE_ADDR=IP)

    events = _events(action="patients.listed")
    assert len(events) == 2
    assert all(e.actor == alice and e.practice == practice and e.ip_address == IP for e in events)
    assert events[0].detail == {"searched": False, "archived": False, "shown": 1}
    # Whether a search happened, never what was searched for.
    assert events[1].detail == {"searched": True, "archived": False, "shown": 1}


def test_create_and_update_record_field_names_only(client_for, alice, practice):
    client = client_for(alice)
    client.post(
        reverse("patients:create", args=[practice.slug]),
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "birth_date": "1990-04-02",
            "phone": "(312) 555-0100",
            "preferred_contact": "phone",
            "best_time": "any",
        },
    )
    with scopes_disabled():
        ana = Patient.objects.get(practice=practice)
    [created] = _events(action="patient.created")
    assert created.actor == alice
    assert created.practice == practice
    assert created.patient_id == ana.pk
    assert set(created.detail["fields"]) >= {"first_name", "last_name", "birth_date", "phone"}

    client.post(
        reverse("patients:edit", args=[practice.slug, ana.pk]),
        {
            "first_name": "Ana",
            "last_name": "Lopez-Vega",
            "birth_date": "1990-04-02",
            "phone": "773 555 0142",
            "email": "ana@example.net",
            "email_consent": "on",
            "preferred_contact": "phone",
            "best_time": "any",
        },
    )
    [updated] = _events(action="patient.updated")
    assert updated.detail == {"fields": ["email", "email_consent", "last_name", "phone"]}
    assert updated.patient_id == ana.pk
    assert updated.actor == alice


def test_saving_without_changes_writes_no_update_event(client_for, alice, practice, patient):
    client_for(alice).post(
        reverse("patients:edit", args=[practice.slug, patient.pk]),
        {
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "birth_date": patient.birth_date.isoformat(),
            "email": patient.email,
            "phone": patient.phone,
            "preferred_contact": patient.preferred_contact,
            "best_time": patient.best_time,
        },
    )
    assert _events(action="patient.updated") == []


def test_archive_and_restore_are_recorded(client_for, alice, practice, patient):
    client = client_for(alice)
    client.post(reverse("patients:archive", args=[practice.slug, patient.pk]))
    client.post(reverse("patients:restore", args=[practice.slug, patient.pk]))
    actions = [e.action for e in _events(patient_id=patient.pk)]
    assert actions == ["patient.archived", "patient.restored"]


def test_export_records_the_row_count(client_for, bob, practice, patient):
    PatientFactory(practice=practice, last_name="Second")
    response = client_for(bob).get(reverse("patients:export", args=[practice.slug]))
    assert response.status_code == 200
    [event] = _events(action="patients.exported")
    assert event.actor == bob
    assert event.practice == practice
    assert event.detail == {"rows": 2, "searched": False}


def test_an_export_shows_in_each_exported_patients_access_history(
    client_for, bob, practice, patient
):
    other = PatientFactory(practice=practice, last_name="Second")
    client = client_for(bob)
    client.get(reverse("patients:export", args=[practice.slug]), {"q": "Gomez"})

    assert [e.action for e in _events(patient_id=patient.pk)] == ["patient.exported"]
    assert _events(patient_id=other.pk) == []
    history = client.get(reverse("patients:access_history", args=[practice.slug, patient.pk]))
    assert "patient.exported" in history.text


def test_no_patient_details_ever_reach_the_audit_trail(client_for, alice, bob, practice):
    """Create, change, search, view and export a patient; then grep every audit row."""
    client = client_for(alice)
    client.post(
        reverse("patients:create", args=[practice.slug]),
        {
            "first_name": "Philippa",
            "last_name": "Quenneville",
            "preferred_name": "Pippa",
            "birth_date": "1977-11-23",
            "email": "pippa.q@private-mail.example",
            "phone": "(312) 555-0163",
            "preferred_contact": "phone",
            "best_time": "any",
        },
    )
    with scopes_disabled():
        pippa = Patient.objects.get(practice=practice)
    edit = {
        "first_name": "Philippa",
        "last_name": "Quenneville-Hart",
        "preferred_name": "Pippa",
        "birth_date": "1977-11-24",
        "email": "philippa.hart@private-mail.example",
        "phone": "(773) 555-0164",
        "preferred_contact": "email",
        "best_time": "any",
        "email_consent": "on",
    }
    client.post(reverse("patients:edit", args=[practice.slug, pippa.pk]), edit)
    client.get(reverse("patients:detail", args=[practice.slug, pippa.pk]))
    for query in ("Quenneville", "555-0164", "philippa.hart@", "11/24/1977"):
        client.get(reverse("patients:list", args=[practice.slug]), {"q": query})
    manager = client_for(bob)
    manager.get(reverse("patients:export", args=[practice.slug]), {"q": "Quenneville"})
    manager.get(reverse("patients:access_history", args=[practice.slug, pippa.pk]))

    with scopes_disabled():
        dump = serializers.serialize("json", AuditEvent.objects.all())
    assert len(_events(patient_id=pippa.pk)) >= 4
    for phi in (
        "Philippa",
        "Quenneville",
        "Pippa",
        "private-mail",
        "555-0163",
        "5550163",
        "5550164",
        "1977-11-2",
        "11/24/1977",
    ):
        assert phi.lower() not in dump.lower(), f"{phi!r} is in the audit trail"


# Append-only


@pytest.fixture
def event(client_for, alice, practice, patient) -> AuditEvent:
    client_for(alice).get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    [event] = _events(action="patient.viewed")
    return event


def test_an_event_cannot_be_changed_or_deleted_through_the_model(event):
    event.action = "patient.nothing_to_see"
    with pytest.raises(AuditEvent.AppendOnly):
        event.save()
    with pytest.raises(AuditEvent.AppendOnly):
        event.delete()
    assert [e.action for e in _events()] == ["patient.viewed"]


def test_an_event_cannot_be_changed_or_deleted_through_a_queryset(event, practice):
    with scope(practice=practice):
        events = AuditEvent.objects.filter(pk=event.pk)
        with pytest.raises(AuditEvent.AppendOnly):
            events.update(action="patient.nothing_to_see")
        with pytest.raises(AuditEvent.AppendOnly):
            events.delete()
        # bulk_update's own atomic block would doom the test's transaction without a savepoint.
        with pytest.raises(AuditEvent.AppendOnly), transaction.atomic():
            AuditEvent.objects.bulk_update([event], ["action"])
    assert [e.action for e in _events()] == ["patient.viewed"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE coordinator_auditevent SET action = 'patient.nothing_to_see' WHERE id = %s",
        "UPDATE coordinator_auditevent SET actor_id = NULL, system_actor = 'x' WHERE id = %s",
        "DELETE FROM coordinator_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(event, sql):
    assert connection.vendor == "postgresql"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert [(e.action, e.actor_id) for e in _events()] == [("patient.viewed", event.actor_id)]


# Reading the trail


def test_manager_sees_who_opened_a_patient(client_for, alice, dave, bob, practice, patient):
    client_for(alice).get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    client_for(dave).get(reverse("patients:detail", args=[practice.slug, patient.pk]))

    response = client_for(bob).get(
        reverse("patients:access_history", args=[practice.slug, patient.pk])
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alice Coordinator" in html
    assert "alice@smile.example" in html
    assert "Dave Dentist" in html
    assert html.count("<code>patient.viewed</code>") == 2
    # Looking at the history is itself recorded.
    assert _events(action="patient.access_history_viewed", actor=bob)


def test_access_history_lists_only_that_patient(client_for, alice, bob, practice, patient):
    other = PatientFactory(practice=practice)
    client_for(alice).get(reverse("patients:detail", args=[practice.slug, other.pk]))
    response = client_for(bob).get(
        reverse("patients:access_history", args=[practice.slug, patient.pk])
    )
    assert "Alice Coordinator" not in response.content.decode()


def test_coordinator_cannot_open_the_access_history(client_for, alice, practice, patient):
    response = client_for(alice).get(
        reverse("patients:access_history", args=[practice.slug, patient.pk])
    )
    assert response.status_code == 403
    assert _events(action="patient.access_history_viewed") == []


def test_practice_audit_log_shows_events(client_for, alice, bob, practice, patient):
    client_for(alice).get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    client_for(alice).get(reverse("patients:list", args=[practice.slug]))

    response = client_for(bob).get(reverse("practice_audit", args=[practice.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alice Coordinator" in html
    assert "patient.viewed" in html
    assert "patients.listed" in html
    assert reverse("patients:detail", args=[practice.slug, patient.pk]) in html


def test_coordinator_cannot_open_the_practice_audit_log(client_for, alice, practice):
    assert client_for(alice).get(reverse("practice_audit", args=[practice.slug])).status_code == 403


# Every patient page a person can open leaves exactly one event (checklist item 11).
PHI_GET_ACTIONS = {
    "patients:list": "patients.listed",
    "patients:detail": "patient.viewed",
    "patients:edit": "patient.viewed",
    "patients:export": "patients.exported",
    "patients:access_history": "patient.access_history_viewed",
}


def test_every_patient_page_has_an_expected_audit_action():
    pages = {
        name
        for name, route in REGISTRY.items()
        if isinstance(route, PracticeRoute) and name.startswith("patients:") and "GET" in route.ok
    }
    assert pages - {"patients:create"} == PHI_GET_ACTIONS.keys()


@pytest.mark.parametrize(("name", "action"), PHI_GET_ACTIONS.items())
def test_each_patient_page_writes_exactly_one_event(
    client_for, olivia, practice, patient, name, action
):
    client = client_for(olivia)
    client.get(reverse("home"))
    before = len(_events())
    kwargs = REGISTRY[name].kwargs(SimpleNamespace(practice=practice, patient=patient))
    response = client.get(reverse(name, kwargs=kwargs), REMOTE_ADDR=IP)
    assert response.status_code == 200

    # An export also leaves one event per exported patient (tested below).
    [event] = [e for e in _events()[before:] if e.action != "patient.exported"]
    assert event.action == action
    assert event.actor == olivia
    assert event.practice == practice
    assert event.ip_address == IP
    if "patient_id" in kwargs:
        assert event.patient_id == patient.pk


def test_audit_times_show_in_the_practices_time_zone(client_for, bob, practice, patient):
    AuditEvent.objects.create(
        at=datetime.datetime(2025, 3, 5, 2, 0, 1, tzinfo=datetime.UTC),
        practice=practice,
        system_actor="command:import_practice",
        action="patient.imported",
        patient_id=patient.pk,
    )
    client = client_for(bob)
    for url in (
        reverse("practice_audit", args=[practice.slug]),
        reverse("patients:access_history", args=[practice.slug, patient.pk]),
    ):
        assert "2025-03-04 20:00:01" in client.get(url).content.decode(), url
