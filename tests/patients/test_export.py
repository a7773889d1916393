"""The patient CSV a manager downloads: the practice's active patients, safe to open."""

import csv
import datetime
import io

from django.urls import reverse
from django.utils import timezone

from tests.factories import PatientFactory


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_export_lists_active_patients(client_for, bob, practice, patient):
    PatientFactory(practice=practice, last_name="Archived", archived_at=timezone.now())
    response = client_for(bob).get(reverse("patients:export", args=[practice.slug]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="smile-north-patients-{timezone.localdate().isoformat()}.csv"'
    )
    [row] = _rows(response)
    assert row["id"] == str(patient.pk)
    assert (row["first_name"], row["last_name"]) == ("Maria", "Gomez")
    assert row["phone"] == "+13125550100"
    assert row["email"] == "maria.gomez@example.net"
    assert row["birth_date"] == patient.birth_date.isoformat()


def test_export_follows_the_search(client_for, bob, practice, patient):
    PatientFactory(practice=practice, first_name="Marco", last_name="Polanski")
    response = client_for(bob).get(reverse("patients:export", args=[practice.slug]), {"q": "Pol"})
    assert [row["last_name"] for row in _rows(response)] == ["Polanski"]


def test_export_cells_never_run_as_spreadsheet_formulas(client_for, bob, practice):
    PatientFactory(
        practice=practice,
        first_name='=HYPERLINK("https://evil.example","Open")',
        last_name="+SUM(1,2)",
        email="@evil.example",
        birth_date=datetime.date(1980, 1, 1),
    )
    [row] = _rows(client_for(bob).get(reverse("patients:export", args=[practice.slug])))
    assert row["first_name"] == '\'=HYPERLINK("https://evil.example","Open")'
    assert row["last_name"] == "'+SUM(1,2)"
    assert row["email"] == "'@evil.example"


def test_the_list_offers_export_only_to_managers(client_for, alice, bob, practice):
    url = reverse("patients:list", args=[practice.slug])
    export = reverse("patients:export", args=[practice.slug])
    assert export in client_for(bob).get(url).content.decode()
    assert export not in client_for(alice).get(url).content.decode()
