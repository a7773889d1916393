"""Finding a patient while typing: names, phone numbers in any format, email, birth date."""

import datetime
import re

import pytest
from django.urls import reverse

from tests.factories import PatientFactory

HTMX = {"HX-Request": "true", "HX-Target": "patient-results"}


@pytest.fixture
def roster(practice):
    """A few patients whose names, phones, emails and birth dates differ clearly."""
    maria = PatientFactory(
        practice=practice,
        first_name="Maria",
        last_name="Gomez",
        phone="+13125550100",
        email="maria.gomez@example.net",
        birth_date=datetime.date(1984, 7, 9),
    )
    marco = PatientFactory(
        practice=practice,
        first_name="Marco",
        last_name="Polanski",
        phone="+17735550222",
        email="mpolanski@mailbox.example",
        birth_date=datetime.date(1990, 1, 2),
    )
    grace = PatientFactory(
        practice=practice,
        first_name="Grace",
        last_name="Hopper",
        preferred_name="Amazing",
        phone="+16305550333",
        email="grace@navy.example",
        birth_date=datetime.date(1951, 12, 9),
    )
    return {"maria": maria, "marco": marco, "grace": grace}


def _found(client, practice, query: str) -> set[str]:
    """Last names in the result rows of the htmx partial."""
    response = client.get(
        reverse("patients:list", args=[practice.slug]), {"q": query}, headers=HTMX
    )
    assert response.status_code == 200
    return set(re.findall(r">([A-Z][a-z]+), [A-Z][a-z]+</a>", response.content.decode()))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Gom", {"Gomez"}),
        ("gom", {"Gomez"}),
        ("Mar", {"Gomez", "Polanski"}),  # first names Maria and Marco
        ("ma", {"Gomez", "Polanski"}),
        ("Amaz", {"Hopper"}),  # the preferred name
        ("Gomez, Maria", {"Gomez"}),
        ("gomez maria", {"Gomez"}),
        ("Gomez, Marco", set()),
        ("Hopper, G", {"Hopper"}),
        ("Zz", set()),
    ],
)
def test_search_by_a_few_letters_of_a_name(client_for, alice, practice, roster, query, expected):
    assert _found(client_for(alice), practice, query) == expected


@pytest.mark.parametrize(
    "query",
    ["(312) 555-0100", "312.555.0100", "+1 312 555 0100", "5550100", "312-555-0100", "3125550100"],
)
def test_search_by_phone_in_any_format(client_for, alice, practice, roster, query):
    assert _found(client_for(alice), practice, query) == {"Gomez"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gomez@", {"Gomez"}),
        ("maria.gomez@example", {"Gomez"}),
        ("maria.gom", {"Gomez"}),
        ("@mailbox.example", {"Polanski"}),
        ("MPOLANSKI@", {"Polanski"}),
        ("@nowhere.example", set()),
    ],
)
def test_search_by_email_fragment(client_for, alice, practice, roster, query, expected):
    assert _found(client_for(alice), practice, query) == expected


@pytest.mark.parametrize("query", ["07/09/1984", "1984-07-09", "7/9/1984"])
def test_search_by_birth_date(client_for, alice, practice, roster, query):
    assert _found(client_for(alice), practice, query) == {"Gomez"}


def test_a_date_nobody_was_born_on_finds_nothing(client_for, alice, practice, roster):
    assert _found(client_for(alice), practice, "07/10/1984") == set()


def test_htmx_search_returns_only_the_results_partial(client_for, alice, practice, roster):
    response = client_for(alice).get(
        reverse("patients:list", args=[practice.slug]), {"q": "Gom"}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="patient-search"' not in html
    assert html.strip().startswith('<div id="patient-results"')
    assert "Gomez, Maria" in html
    assert "Polanski" not in html
    # Caches must keep the partial and the full page apart.
    assert "HX-Request" in response["Vary"]


def test_plain_search_returns_the_full_page(client_for, alice, practice, roster):
    response = client_for(alice).get(reverse("patients:list", args=[practice.slug]), {"q": "Gom"})
    html = response.content.decode()
    assert "<html" in html
    assert 'id="patient-search"' in html
    assert 'value="Gom"' in html
    assert html.count('id="patient-results"') == 1
    assert "Gomez, Maria" in html
    assert "Polanski" not in html


def test_htmx_request_for_another_target_gets_the_full_page(client_for, alice, practice, roster):
    response = client_for(alice).get(
        reverse("patients:list", args=[practice.slug]),
        headers={"HX-Request": "true", "HX-Target": "somewhere-else"},
    )
    assert "<html" in response.content.decode()


def test_search_box_swaps_the_results_block_in_place(client_for, alice, practice):
    """The partial carries its own #patient-results, so it must replace it, not nest in it."""
    html = client_for(alice).get(reverse("patients:list", args=[practice.slug])).content.decode()
    search_box = re.search(r'<input id="patient-search"[^>]*>', html, re.S).group(0)
    assert 'hx-target="#patient-results"' in search_box
    assert 'hx-swap="outerHTML"' in search_box


def test_no_match_says_so(client_for, alice, practice, roster):
    response = client_for(alice).get(
        reverse("patients:list", args=[practice.slug]), {"q": "Xavier"}, headers=HTMX
    )
    assert "No patient matches “Xavier”" in response.content.decode()


@pytest.fixture
def thirty(practice):
    # Last names sort in creation order: Patient00 … Patient29.
    return [
        PatientFactory(practice=practice, last_name=f"Patient{n:02d}", first_name="Test")
        for n in range(30)
    ]


def _names(response) -> list[str]:
    return re.findall(r">(Patient\d\d), Test</a>", response.content.decode())


def test_paging_through_more_than_25_patients(client_for, alice, practice, thirty):
    client = client_for(alice)
    url = reverse("patients:list", args=[practice.slug])
    first = client.get(url)
    second = client.get(url, {"page": "2"})
    assert _names(first) == [f"Patient{n:02d}" for n in range(25)]
    assert _names(second) == [f"Patient{n:02d}" for n in range(25, 30)]
    assert "Page 2 of 2" in second.content.decode()
    assert 'rel="next"' in first.content.decode()


def test_paging_keeps_the_search(client_for, alice, practice, thirty):
    response = client_for(alice).get(reverse("patients:list", args=[practice.slug]), {"q": "Pat"})
    assert "q=Pat&amp;page=2" in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "0", "-3", "999", "1.5", "", "99999999999999999999"])
def test_a_bogus_page_number_shows_a_page(client_for, alice, practice, thirty, page):
    response = client_for(alice).get(reverse("patients:list", args=[practice.slug]), {"page": page})
    assert response.status_code == 200
    assert len(_names(response)) in {25, 5}
