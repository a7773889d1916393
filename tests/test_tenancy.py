"""One practice never sees another's patients: not by id, not in lists, searches or exports."""

import re
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scope, scopes_disabled
from django_scopes.exceptions import ScopeError

from coordinator.models import AuditEvent
from patients.models import Patient
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    UserFactory,
    confirmed_totp_device,
)
from tests.test_permission_matrix import REGISTRY, PracticeRoute

# Distinct markers: if any of these shows up in practice A's pages, B's data leaked.
B_FIRST, B_LAST = "Zebulon", "Quixotewhistle"
B_EMAIL = "zebulon.q@bright-marker.example"
B_PHONE = "+17735550143"

PATIENT_URLS = [
    name
    for name, route in REGISTRY.items()
    if isinstance(route, PracticeRoute) and route.kwargs.__name__ == "_patient"
]


@pytest.fixture
def b_patient(other_practice):
    return PatientFactory(
        practice=other_practice,
        first_name=B_FIRST,
        last_name=B_LAST,
        email=B_EMAIL,
        phone=B_PHONE,
    )


def _methods(name: str) -> list[str]:
    route = REGISTRY[name]
    return [m for m in route.methods if m not in route.refused]


def test_patient_urls_are_all_covered():
    assert set(PATIENT_URLS) == {
        "patients:detail",
        "patients:edit",
        "patients:archive",
        "patients:restore",
        "patients:access_history",
        "coverage:page",
        "coverage:add",
    }


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n in PATIENT_URLS for m in _methods(n)], ids=str
)
def test_another_practices_patient_under_my_practice_is_404(
    client_for, bob, practice, b_patient, name, method
):
    """bob (every capability at A) asks for B's patient id under A's slug."""
    url = reverse(name, args=[practice.slug, b_patient.pk])
    response = client_for(bob).generic(method, url)
    assert response.status_code == 404
    assert B_LAST.encode() not in response.content
    with scopes_disabled():
        b_patient.refresh_from_db()
    assert b_patient.archived_at is None
    assert b_patient.last_name == B_LAST


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n in PATIENT_URLS for m in _methods(n)], ids=str
)
def test_another_practices_slug_is_404(client_for, bob, other_practice, b_patient, name, method):
    """bob asks for B's patient under B's own slug: B is not his practice."""
    url = reverse(name, args=[other_practice.slug, b_patient.pk])
    response = client_for(bob).generic(method, url)
    assert response.status_code == 404
    assert B_LAST.encode() not in response.content


@pytest.mark.parametrize(
    "name",
    # Pages addressed by the practice alone; pages of a record are checked with the record's id.
    [
        n
        for n, r in REGISTRY.items()
        if isinstance(r, PracticeRoute) and r.kwargs.__name__ == "_practice"
    ],
)
def test_practice_pages_of_another_practice_are_404(client_for, bob, other_practice, name):
    response = client_for(bob).get(reverse(name, args=[other_practice.slug]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n in PATIENT_URLS for m in _methods(n)], ids=str
)
def test_an_outsider_cannot_reach_my_patient_through_their_own_practice(
    client_for, other_practice, patient, name, method
):
    """B's manager (every capability at B) asks for A's patient id under B's slug."""
    carol = UserFactory(email="carol@bright.example", name="Carol Manager")
    MembershipFactory(user=carol, practice=other_practice, role="office_manager")
    confirmed_totp_device(carol)
    url = reverse(name, args=[other_practice.slug, patient.pk])
    response = client_for(carol).generic(method, url)
    assert response.status_code == 404
    assert b"Gomez" not in response.content


def _assert_no_b_marker(content: bytes, query: str = "") -> None:
    text = content.decode()
    if query:
        # The page repeats what was typed ("No patient matches …"); only rows count as a leak.
        for echo in (query, escape(query), quote(query), urlencode({"q": query})[2:]):
            text = text.replace(echo, "")
    for marker in (B_FIRST, B_LAST, B_EMAIL, B_PHONE, "555-0143", "Charlie Outsider"):
        assert marker not in text, f"{marker!r} leaked"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "Zeb",
        B_LAST[:4],
        f"{B_LAST}, {B_FIRST}",
        "(773) 555-0143",
        "5550143",
        "bright-marker",
        "@bright-marker.example",
    ],
)
def test_list_search_and_export_never_show_another_practice(
    client_for, bob, charlie, practice, other_practice, patient, b_patient, query
):
    # Charlie works with B's patient, so B has audit events of its own.
    client_for(charlie).get(reverse("patients:detail", args=[other_practice.slug, b_patient.pk]))
    client = client_for(bob)

    for archived in ("", "1"):
        response = client.get(
            reverse("patients:list", args=[practice.slug]), {"q": query, "archived": archived}
        )
        assert response.status_code == 200
        _assert_no_b_marker(response.content, query)

    partial = client.get(
        reverse("patients:list", args=[practice.slug]),
        {"q": query},
        headers={"HX-Request": "true", "HX-Target": "patient-results"},
    )
    _assert_no_b_marker(partial.content, query)

    export = client.get(reverse("patients:export", args=[practice.slug]), {"q": query})
    assert export.status_code == 200
    _assert_no_b_marker(export.content, query)
    if not query:
        # The check has teeth: A's own patient is in the same export.
        assert b"Gomez" in export.content


def test_audit_pages_show_only_my_practices_events(
    client_for, bob, charlie, practice, other_practice, patient, b_patient
):
    client_for(charlie).get(reverse("patients:detail", args=[other_practice.slug, b_patient.pk]))
    client = client_for(bob)
    client.get(reverse("patients:detail", args=[practice.slug, patient.pk]))

    audit = client.get(reverse("practice_audit", args=[practice.slug]))
    history = client.get(reverse("patients:access_history", args=[practice.slug, patient.pk]))

    for response in (audit, history):
        assert response.status_code == 200
        assert b"Bob Manager" in response.content
        _assert_no_b_marker(response.content)


def test_scoped_manager_raises_outside_a_scope(practice, patient, b_patient):
    with pytest.raises(ScopeError):
        Patient.objects.all()
    with pytest.raises(ScopeError):
        Patient.objects.filter(last_name=B_LAST).count()
    with pytest.raises(ScopeError):
        AuditEvent.objects.all()


def test_scope_of_a_practice_returns_only_its_rows(practice, other_practice, patient, b_patient):
    with scope(practice=practice):
        names = list(Patient.objects.filter(practice=practice).values_list("last_name", flat=True))
        # Even a query that forgets the practice filter is confined to the scope.
        everyone = list(Patient.objects.values_list("last_name", flat=True))
    assert names == ["Gomez"]
    assert everyone == ["Gomez"]
    with scope(practice=other_practice):
        assert list(Patient.objects.values_list("last_name", flat=True)) == [B_LAST]


def test_patient_urls_carry_uuids_not_sequential_ids(client_for, alice, practice, patient):
    assert isinstance(patient.pk, uuid.UUID)
    response = client_for(alice).get(reverse("patients:list", args=[practice.slug]))
    html = response.content.decode()
    links = re.findall(rf'href="/p/{practice.slug}/patients/([0-9a-f-]{{36}})/"', html)
    assert links == [str(patient.pk)]
    assert not re.search(rf'href="/p/{practice.slug}/patients/\d+/', html)
    assert client_for(alice).get(f"/p/{practice.slug}/patients/1/").status_code == 404
