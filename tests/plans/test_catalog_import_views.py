"""Importing the practice's code file: upload, preview every row, confirm all rows or none."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from plans import catalog_services
from plans.models import ProcedureCode
from plans.views.catalog import IMPORT_SESSION_KEY
from tests.factories import MembershipFactory

GOOD = (
    "code,description,fee,category,minutes\n"
    "D0120,Check-up exam,65.00,,15\n"  # new, category from the range
    "D2740,All-ceramic crown,1300.00,,\n"  # changed: description and fee
    "D1110,Teeth cleaning,95,Preventive,\n"  # unchanged
)
WITH_ERRORS = (
    "code,description,fee\n"
    "D0120,Check-up exam,65.00\n"
    "D2740,Porcelain crown,1300\n"
    "X123,Something,10\n"
    "D0140,Limited exam,-3.00\n"
    "D0150,Full exam,abc\n"
    'D0210,X-rays,"12,50"\n'
    "D0120,Exam again,70\n"
)


@pytest.fixture
def catalog(practice):
    def code(code, description, fee, category, **extra):
        return ProcedureCode.objects.create(
            practice=practice,
            code=code,
            description=description,
            fee=Decimal(fee),
            category=category,
            **extra,
        )

    code("D2740", "Porcelain crown", "1250.00", "crowns", site="tooth", minutes=90)
    code("D1110", "Teeth cleaning", "95.00", "preventive")


def _file(text: str, encoding: str = "utf-8", name: str = "codes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _upload(client, practice, text: str, **kwargs):
    return client.post(
        reverse("catalog:import", args=[practice.slug]), {"file": _file(text, **kwargs)}
    )


def _preview(client, practice, text: str, **kwargs):
    """Upload, follow to the preview; the response and its token."""
    response = _upload(client, practice, text, **kwargs)
    assert response.status_code == 302, response.content.decode()
    token = re.search(r"token=([\w-]+)", response["Location"])[1]
    return client.get(response["Location"]), token


def _confirm(client, practice, preview, token):
    digest = re.search(r'name="digest" value="(\w+)"', preview.content.decode())
    return client.post(
        reverse("catalog:import_preview", args=[practice.slug]),
        {"token": token, "digest": digest[1] if digest else ""},
    )


def _catalog(practice) -> dict[str, tuple]:
    with scopes_disabled():
        return {
            code.code: (code.description, code.fee, code.category, code.minutes, code.site)
            for code in ProcedureCode.objects.filter(practice=practice)
        }


def _rows(response) -> list[str]:
    """Each preview row as "line code result" text."""
    text = response.content.decode()
    rows = re.findall(
        r'<tr class="status-(\w+)">\s*<td class="num">(\d+)</td>\s*<td><code>([^<]*)', text
    )
    return [f"{line} {code} {status}" for status, line, code in rows]


def test_the_preview_lists_every_row_and_writes_nothing(client_for, bob, practice, catalog):
    before = _catalog(practice)
    preview, _ = _preview(client_for(bob), practice, GOOD)
    assert preview.status_code == 200
    assert _rows(preview) == ["2 D0120 new", "3 D2740 changed", "4 D1110 unchanged"]
    text = preview.content.decode()
    # Old → new for what changes.
    assert "<del>Porcelain crown</del> → All-ceramic crown" in text
    assert "<del>$1,250.00</del> → $1,300.00" in text
    assert "Diagnostic" in text  # D0120's category, from its range
    assert "Confirm the import" in text
    assert "keep the fee they were given" in text
    assert _catalog(practice) == before
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="catalog.imported").exists()


def test_confirming_applies_every_row(client_for, bob, practice, catalog):
    client = client_for(bob)
    preview, token = _preview(client, practice, GOOD)
    response = _confirm(client, practice, preview, token)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:list", args=[practice.slug])
    assert _catalog(practice) == {
        "D0120": ("Check-up exam", Decimal("65.00"), "diagnostic", 15, "mouth"),
        "D2740": ("All-ceramic crown", Decimal("1300.00"), "crowns", 90, "tooth"),
        "D1110": ("Teeth cleaning", Decimal("95.00"), "preventive", 30, "mouth"),
    }
    with scopes_disabled():
        (event,) = AuditEvent.objects.filter(action="catalog.imported")
    assert event.actor == bob
    assert event.practice == practice
    assert event.detail == {
        "created": 1,
        "changed": 1,
        "unchanged": 1,
        "fields": ["description", "fee"],
    }
    listing = client.get(response["Location"]).content.decode()
    assert "1 new, 1 changed, 1 unchanged" in listing
    # The import is closed: the same token cannot apply it twice.
    assert IMPORT_SESSION_KEY not in client.session
    again = _confirm(client, practice, preview, token)
    assert again["Location"] == reverse("catalog:import", args=[practice.slug])


def test_errors_are_listed_by_line_and_confirming_is_impossible(client_for, bob, practice, catalog):
    client = client_for(bob)
    before = _catalog(practice)
    preview, token = _preview(client, practice, WITH_ERRORS)
    text = preview.content.decode()
    assert _rows(preview) == [
        "2 D0120 new",
        "3 D2740 changed",
        "4 X123 error",
        "5 D0140 error",
        "6 D0150 error",
        "7 D0210 error",
        "8 D0120 error",
    ]
    for message in (
        "line 4, code: &quot;X123&quot; is not a procedure code (D followed by four digits)",
        "line 5, fee: &quot;-3.00&quot; is negative; a fee is 0 or more",
        "line 6, fee: &quot;abc&quot; is not an amount (use 1250.00)",
        "line 7, fee: &quot;12,50&quot; is not an amount (use 12.50)",
        "line 8, code: D0120 is already on line 2",
    ):
        assert message in text
    assert "Fix these lines in the file and upload it again" in text
    assert "Confirm the import" not in text

    # Posting the confirmation anyway changes nothing.
    response = _confirm(client, practice, preview, token)
    assert response.status_code == 302
    assert "token=" in response["Location"]
    assert _catalog(practice) == before
    refused = client.get(response["Location"]).content.decode()
    assert "The file has errors" in refused


def test_a_byte_order_mark_and_windows_1252_are_read(client_for, bob, practice, catalog):
    client = client_for(bob)
    preview, _ = _preview(client, practice, "\ufeff" + GOOD)
    assert _rows(preview)[0] == "2 D0120 new"
    preview, _ = _preview(
        client, practice, "Code,Fee,Description\nD0140,55,Limited exam – café\n", encoding="cp1252"
    )
    assert _rows(preview) == ["2 D0140 new"]
    assert "Limited exam – café" in preview.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("D0120,Check-up exam,65.00\n", "Line 1 must be the header row"),
        ("code,description\nD0120,Exam\n", "The header row lacks the column fee."),
        ("code,description,fee,notes,price\nD0120,Exam,65,x,1\n", "Unknown columns: notes, price."),
        ("", "The submitted file is empty."),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_at_upload(
    client_for, bob, practice, catalog, text, message
):
    response = _upload(client_for(bob), practice, text)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_file_over_2_mb_is_refused(client_for, bob, practice):
    response = _upload(client_for(bob), practice, "code,description,fee\n" + "x" * 2_100_000)
    assert response.status_code == 422
    assert "the limit is 2 MB" in response.content.decode()


def test_a_catalog_changed_since_the_preview_asks_for_a_new_look(
    client_for, bob, practice, catalog
):
    client = client_for(bob)
    preview, token = _preview(client, practice, GOOD)
    with scopes_disabled():
        ProcedureCode.objects.filter(practice=practice, code="D2740").update(fee=Decimal("1280"))
    response = _confirm(client, practice, preview, token)
    assert "token=" in response["Location"]
    assert "changed since this preview" in client.get(response["Location"]).content.decode()
    assert _catalog(practice)["D2740"][1] == Decimal("1280.00")
    assert "D0120" not in _catalog(practice)


def test_all_rows_or_none(client_for, bob, practice, catalog, monkeypatch):
    """A failure after some rows were written leaves the catalog exactly as it was."""
    client = client_for(bob)
    preview, token = _preview(client, practice, GOOD)
    before = _catalog(practice)

    def fail(**kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(catalog_services, "audit_record", fail)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        _confirm(client, practice, preview, token)
    assert _catalog(practice) == before


def test_an_import_belongs_to_its_session_and_practice(
    client_for, bob, olivia, practice, other_practice, catalog
):
    preview, token = _preview(client_for(bob), practice, GOOD)
    url = reverse("catalog:import_preview", args=[practice.slug])
    # Another manager's session does not know the token.
    response = client_for(olivia).get(url, {"token": token})
    assert response["Location"] == reverse("catalog:import", args=[practice.slug])
    # A made-up token in the right session is no better.
    for made_up in ("made-up", "jetón", ""):
        response = client_for(bob).get(url, {"token": made_up})
        assert response["Location"] == reverse("catalog:import", args=[practice.slug])
    assert "D0120" not in _catalog(practice)


def test_an_import_started_in_one_practice_cannot_be_confirmed_in_another(
    client_for, bob, practice, other_practice, catalog
):
    MembershipFactory(user=bob, practice=other_practice, role="office_manager")
    client = client_for(bob)
    preview, token = _preview(client, practice, GOOD)
    response = _confirm(client, other_practice, preview, token)
    assert response["Location"] == reverse("catalog:import", args=[other_practice.slug])
    with scopes_disabled():
        assert not ProcedureCode.objects.filter(practice=other_practice).exists()
