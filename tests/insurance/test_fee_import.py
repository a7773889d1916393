"""Importing a group plan's fee schedule: read the CSV, preview every line, apply all or none."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from insurance.fee_import import (
    FeeRow,
    FeeStatus,
    compare_fee_rows,
    fee_csv,
    read_fee_file,
)
from insurance.models import FeeScheduleEntry
from plans.catalog_import import ImportFileError
from tests.factories import FeeScheduleEntryFactory, GroupPlanFactory

# --- Reading and comparing (pure) ----------------------------------------------------------------


def test_rows_keep_their_line_numbers():
    rows = read_fee_file(b"Code, Amount\r\nD0120,42.00\r\n\r\n,\r\nd2740,\r\n")
    assert rows == [
        FeeRow(line=2, code="D0120", amount="42.00"),
        FeeRow(line=5, code="d2740", amount=""),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"D0120,42.00\n", "header row"),
        (b"code,fee\nD0120,42\n", "Unknown column: fee"),
        (b"code\nD0120\n", "lacks the column amount"),
        (b"code,amount,code\n", "twice"),
        (b"code,amount\nD0120,\x00\n", "not a text file"),
    ],
)
def test_unreadable_files_say_why(content, message):
    with pytest.raises(ImportFileError, match=message):
        read_fee_file(content)


def test_compare_says_what_each_line_does():
    current = {"D0120": Decimal("40.00"), "D0150": Decimal("70.00"), "D1110": Decimal("0.00")}
    rows = [
        FeeRow(2, "D0120", "42"),  # changed
        FeeRow(3, "D0150", "70.00"),  # unchanged
        FeeRow(4, "D1110", ""),  # removed: blank again, not zero
        FeeRow(5, "D2740", "0"),  # new, at zero
        FeeRow(6, "D9999", ""),  # not on file, stays blank
    ]
    results = compare_fee_rows(rows, current)
    assert [(r.code, r.status, r.old, r.new) for r in results] == [
        ("D0120", FeeStatus.CHANGED, Decimal("40.00"), Decimal("42.00")),
        ("D0150", FeeStatus.UNCHANGED, Decimal("70.00"), Decimal("70.00")),
        ("D1110", FeeStatus.REMOVED, Decimal("0.00"), None),
        ("D2740", FeeStatus.NEW, None, Decimal("0.00")),
        ("D9999", FeeStatus.UNCHANGED, None, None),
    ]


def test_replacing_removes_codes_the_file_does_not_list():
    current = {"D0120": Decimal("40.00"), "D0150": Decimal("70.00")}
    results = compare_fee_rows([FeeRow(2, "D0120", "40")], current, replace=True)
    assert [(r.line, r.code, r.status) for r in results] == [
        (2, "D0120", FeeStatus.UNCHANGED),
        (0, "D0150", FeeStatus.REMOVED),
    ]


def test_errors_name_the_line_and_the_field():
    rows = [
        FeeRow(2, "D0120", "42"),
        FeeRow(3, "", "10"),
        FeeRow(4, "X123", "10"),
        FeeRow(5, "D0140", "-3.00"),
        FeeRow(6, "D0150", "abc"),
        FeeRow(7, "D0210", "12,50"),
        FeeRow(8, "D0120", "45"),
        FeeRow(9, "D0220", "1.234"),
        FeeRow(10, problem="columns: 3 values, but the header has 2"),
    ]
    messages = [m for result in compare_fee_rows(rows, {}) for m in result.messages]
    assert messages == [
        "line 3, code: missing",
        'line 4, code: "X123" is not a procedure code (D followed by four digits)',
        'line 5, amount: "-3.00" is negative; an amount is 0 or more',
        'line 6, amount: "abc" is not an amount (use 1250.00)',
        'line 7, amount: "12,50" is not an amount (use 12.50)',
        "line 8, code: D0120 is already on line 2",
        'line 9, amount: "1.234" has more than two decimal places (cents)',
        "line 10, columns: 3 values, but the header has 2",
    ]


def test_the_export_reads_back():
    text = fee_csv([("D0120", Decimal("42")), ("D2740", Decimal("815.5"))])
    assert text == "code,amount\r\nD0120,42.00\r\nD2740,815.50\r\n"
    assert [(row.code, row.amount) for row in read_fee_file(text.encode())] == [
        ("D0120", "42.00"),
        ("D2740", "815.50"),
    ]


# --- Through the pages ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reads_outside_requests():
    with scopes_disabled():
        yield


@pytest.fixture
def ppo(practice):
    plan = GroupPlanFactory(practice=practice, plan_type="ppo")
    for code, amount in (("D0120", "40.00"), ("D1110", "0.00"), ("D2740", "815.00")):
        FeeScheduleEntryFactory(group_plan=plan, practice=practice, code=code, amount=amount)
    FeeScheduleEntryFactory(
        group_plan=plan, practice=practice, schedule="copay", code="D2740", amount="25.00"
    )
    return plan


def _url(name, practice, plan, schedule="allowed") -> str:
    return reverse(f"insurance:{name}", args=[practice.slug, plan.pk, schedule])


def _schedule(plan) -> dict[tuple[str, str], Decimal]:
    return {
        (schedule, code): amount
        for schedule, code, amount in FeeScheduleEntry.objects.filter(group_plan=plan).values_list(
            "schedule", "code", "amount"
        )
    }


def _upload(client, practice, plan, text: str, **data):
    upload = SimpleUploadedFile("fees.csv", text.encode(), content_type="text/csv")
    return client.post(_url("fee_import", practice, plan), {"file": upload, **data})


def _preview(client, practice, plan, text: str, **data):
    response = _upload(client, practice, plan, text, **data)
    assert response.status_code == 302, response.content.decode()
    token = re.search(r"token=([\w-]+)", response["Location"])[1]
    return client.get(response["Location"]), token


def _confirm(client, practice, plan, preview, token):
    digest = re.search(r'name="digest" value="(\w+)"', preview.content.decode())
    return client.post(
        _url("fee_import_preview", practice, plan),
        {"token": token, "digest": digest[1] if digest else ""},
    )


def test_preview_then_apply(client_for, alice, practice, ppo):
    client = client_for(alice)
    preview, token = _preview(
        client, practice, ppo, "code,amount\nD0120,42.00\nD1110,\nD0150,0\nD2740,815\n"
    )
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "1 new" in page
    assert "1 changed" in page
    assert "1 removed" in page
    before = _schedule(ppo)
    assert _schedule(ppo) == before  # the preview wrote nothing

    response = _confirm(client, practice, ppo, preview, token)

    assert response.status_code == 302
    assert response["Location"].endswith("#fees-allowed")
    assert _schedule(ppo) == {
        ("allowed", "D0120"): Decimal("42.00"),
        ("allowed", "D0150"): Decimal("0.00"),
        ("allowed", "D2740"): Decimal("815.00"),
        ("copay", "D2740"): Decimal("25.00"),  # another schedule is never touched
    }
    event = AuditEvent.objects.get(action="insurance.fees_imported")
    assert event.detail == {
        "schedule": "allowed",
        "replace": False,
        "created": 1,
        "changed": 1,
        "removed": 1,
        "unchanged": 1,
    }


def test_replacing_the_whole_schedule(client_for, bob, practice, ppo):
    client = client_for(bob)
    preview, token = _preview(client, practice, ppo, "code,amount\nD2740,800\n", replace="on")
    assert "not in file" in preview.content.decode()
    assert _confirm(client, practice, ppo, preview, token).status_code == 302
    assert _schedule(ppo) == {
        ("allowed", "D2740"): Decimal("800.00"),
        ("copay", "D2740"): Decimal("25.00"),
    }


def test_errors_name_line_and_field_and_nothing_is_written(client_for, alice, practice, ppo):
    client = client_for(alice)
    before = _schedule(ppo)
    preview, token = _preview(
        client, practice, ppo, 'code,amount\nD0120,42\nD01500,10\nD2740,"$1,2"\n'
    )
    page = preview.content.decode()
    assert "line 3, code: &quot;D01500&quot; is not a procedure code" in page
    assert "line 4, amount: &quot;$1,2&quot; is not an amount" in page
    assert "Confirm the import" not in page
    response = _confirm(client, practice, ppo, preview, token)
    assert response.status_code == 302
    assert _schedule(ppo) == before
    assert not AuditEvent.objects.filter(action="insurance.fees_imported").exists()


def test_a_schedule_changed_since_the_preview_is_refused(client_for, alice, practice, ppo):
    client = client_for(alice)
    preview, token = _preview(client, practice, ppo, "code,amount\nD0120,42.00\n")
    FeeScheduleEntry.objects.filter(group_plan=ppo, code="D0120").update(amount=Decimal("41"))
    response = _confirm(client, practice, ppo, preview, token)
    assert response.status_code == 302
    assert "token=" in response["Location"]
    assert _schedule(ppo)[("allowed", "D0120")] == Decimal("41.00")
    page = client.get(response["Location"]).content.decode()
    assert "changed since this preview" in page


def test_a_bad_file_shows_the_upload_form_again(client_for, alice, practice, ppo):
    before = _schedule(ppo)
    response = _upload(client_for(alice), practice, ppo, "code;amount\nD0120;42\n")
    assert response.status_code == 422
    assert "Unknown column: code;amount" in response.content.decode()
    assert _schedule(ppo) == before


def test_an_import_of_one_plan_cannot_be_confirmed_on_another(client_for, alice, practice, ppo):
    client = client_for(alice)
    preview, token = _preview(client, practice, ppo, "code,amount\nD0120,42.00\n")
    other = GroupPlanFactory(practice=practice, carrier=ppo.carrier, plan_type="ppo")
    response = client.post(_url("fee_import_preview", practice, other), {"token": token})
    assert response.status_code == 302
    assert response["Location"] == _url("fee_import", practice, other)
    assert not FeeScheduleEntry.objects.filter(group_plan=other).exists()
