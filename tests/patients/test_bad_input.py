"""Whatever arrives in the URL or the form, the answer is a page, never a server error."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from patients.models import Patient


@pytest.fixture
def client(client_for, bob):
    # bob may open every practice page.
    return client_for(bob)


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "9" * 30, "%00", "2;DROP"])
@pytest.mark.parametrize("name", ["patients:list", "practice_audit"])
def test_bogus_page_numbers(client, practice, patient, name, page):
    response = client.get(reverse(name, args=[practice.slug]), {"page": page})
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["abc", "-1", "9" * 30])
def test_bogus_page_number_on_access_history(client, practice, patient, page):
    url = reverse("patients:access_history", args=[practice.slug, patient.pk])
    assert client.get(url, {"page": page}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "G" * 1000,
        "Gomez " * 200,
        "1" * 1000,
        "@" * 1000,
        "\x00",
        "Gom\x00ez",
        "%",
        "_",
        "\\",
        "'; DROP TABLE patients_patient; --",
        "02/30/2020",
        "13/45/1999",
        "0000-00-00",
        "+",
        "((()))",
        "🦷",
    ],
    ids=lambda q: repr(q[:12]),
)
@pytest.mark.parametrize("name", ["patients:list", "patients:export"])
def test_odd_searches_answer_normally(client, practice, patient, name, query):
    response = client.get(reverse(name, args=[practice.slug]), {"q": query})
    assert response.status_code == 200
    partial = client.get(
        reverse(name, args=[practice.slug]),
        {"q": query},
        headers={"HX-Request": "true", "HX-Target": "patient-results"},
    )
    assert partial.status_code == 200


def test_a_long_search_is_cut_not_refused(client, practice, patient):
    response = client.get(
        reverse("patients:list", args=[practice.slug]), {"q": "Gomez" + "x" * 995}
    )
    assert response.status_code == 200
    assert "x" * 101 not in response.content.decode()


def test_percent_and_underscore_are_not_wildcards(client, practice, patient):
    for query in ("%", "_", "G_mez"):
        response = client.get(reverse("patients:list", args=[practice.slug]), {"q": query})
        assert "Gomez, Maria" not in response.content.decode(), query


@pytest.mark.parametrize("patient_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g"])
def test_a_patient_id_that_is_not_a_uuid_is_404(client, practice, patient_id):
    response = client.get(f"/p/{practice.slug}/patients/{patient_id}/")
    assert response.status_code == 404


def test_an_unknown_uuid_is_404(client, practice):
    response = client.get(
        reverse("patients:detail", args=[practice.slug, "6b1f7c1e-0000-4000-8000-000000000000"])
    )
    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_an_unknown_practice_is_404(client):
    assert client.get("/p/no-such-practice/patients/").status_code == 404


@pytest.mark.parametrize("name", ["patients:archive", "patients:restore"])
def test_archive_and_restore_refuse_get(client, practice, patient, name):
    response = client.get(reverse(name, args=[practice.slug, patient.pk]))
    assert response.status_code == 405
    with scopes_disabled():
        assert Patient.objects.get(pk=patient.pk).archived_at is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"first_name": "A\x00na", "last_name": "Lopez", "birth_date": "1990-01-01"},
        {"first_name": "Ana", "last_name": "Lopez", "birth_date": "99999-01-01"},
        {"first_name": "Ana", "last_name": "Lopez", "birth_date": "0000-01-01"},
        {"first_name": "A" * 1000, "last_name": "Lopez", "birth_date": "1990-01-01"},
        {"first_name": "Ana", "last_name": "Lopez", "birth_date": "1990-01-01", "phone": "+" * 50},
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "birth_date": "1990-01-01",
            "email": "a@b" * 200,
        },
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "birth_date": "1990-01-01",
            "preferred_contact": "pigeon",
        },
    ],
    ids=range(8),
)
def test_bad_create_forms_come_back_as_422(client, practice, data):
    response = client.post(reverse("patients:create", args=[practice.slug]), data)
    assert response.status_code == 422
    with scopes_disabled():
        assert not Patient.objects.filter(practice=practice).exists()
