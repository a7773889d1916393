"""Reading a practice's code file and comparing it with the catalog (pure, no database)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator.money import MAX_FEE
from plans.catalog_import import (
    MAX_BYTES,
    CatalogEntry,
    ImportFileError,
    RawRow,
    RowStatus,
    compare_rows,
    parse_fee,
    read_catalog_file,
    results_digest,
)

CATALOG = {
    "D2740": CatalogEntry(
        description="Porcelain crown", fee=Decimal("1250.00"), category="crowns", minutes=90
    ),
    "D1110": CatalogEntry(
        description="Cleaning", fee=Decimal("95.00"), category="preventive", minutes=45
    ),
}


def _results(text: str, catalog=CATALOG, encoding="utf-8"):
    return compare_rows(read_catalog_file(text.encode(encoding)), catalog)


def _errors(results) -> list[str]:
    return [message for result in results for message in result.messages]


# Reading the file


def test_rows_keep_the_files_line_numbers_and_any_column_order():
    rows = read_catalog_file(
        b"fee,Code,description\r\n65.00,D0120,Check-up exam\r\n\r\n95.00,D1110,Cleaning\r\n"
    )
    assert [(row.line, row.values["code"], row.values["fee"]) for row in rows] == [
        (2, "D0120", "65.00"),
        (4, "D1110", "95.00"),
    ]


def test_a_quoted_value_over_two_lines_keeps_the_later_line_numbers_right():
    rows = read_catalog_file(
        b'code,description,fee\nD0120,"Check-up exam,\nwith x-rays",65\nD0130,Bad,abc\n'
    )
    assert [row.line for row in rows] == [2, 4]
    assert _errors(compare_rows(rows, {})) == ['line 4, fee: "abc" is not an amount (use 1250.00)']


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column():
    rows = read_catalog_file("\ufeffcode,description,fee\nD0120,Exam – routine,65\n".encode())
    assert rows[0].values == {"code": "D0120", "description": "Exam – routine", "fee": "65"}


def test_windows_1252_files_are_read_too():
    rows = read_catalog_file("code,description,fee\nD0120,Exam – café,65\n".encode("cp1252"))
    assert rows[0].values["description"] == "Exam – café"


def test_bytes_that_are_neither_encoding_are_refused():
    with pytest.raises(ImportFileError, match="neither UTF-8 nor Windows-1252"):
        read_catalog_file(b"code,description,fee\nD0120,\x81\x8d,65\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"D0120,Exam,65\n", "must be the header row"),
        (b"code,description\nD0120,Exam\n", "lacks the column fee"),
        (b"code,fee\nD0120,65\n", "lacks the column description"),
        (b"code,description,fee,price,notes\nD0120,Exam,65,1,x\n", "Unknown columns: price, notes"),
        (b"code,description,fee,Price\nD0120,Exam,65,1\n", "Unknown column: Price."),
        (b"code,description,fee,code\nD0120,Exam,65,D0120\n", "names a column twice: code"),
        (b"code,,fee\nD0120,Exam,65\n", "no name for column 2"),
        (b"code,description,fee\n", "no codes"),
        (b"code,description,fee\nD0120,Ex\x00am,65\n", "not a text file"),
    ],
)
def test_a_file_that_cannot_be_used_says_why(content, message):
    with pytest.raises(ImportFileError, match=message):
        read_catalog_file(content)


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(ImportFileError, match="larger than 2 MB"):
        read_catalog_file(b"code,description,fee\n" + b"x" * MAX_BYTES)


def test_a_line_with_too_few_or_too_many_values_is_an_error_on_that_line():
    results = _results("code,description,fee\nD0120,Exam\nD0140,Exam,65,extra\nD0150,Exam,80\n")
    assert _errors(results) == [
        "line 2, columns: 2 values, but the header has 3",
        "line 3, columns: 4 values, but the header has 3",
    ]
    assert results[2].status == RowStatus.NEW


def test_raw_rows_survive_the_trip_through_the_session():
    rows = read_catalog_file(b"code,description,fee,minutes\nD0120,Exam,65,\nD0140,Exam\n")
    assert [RawRow.from_list(row.as_list()) for row in rows] == rows


# Checking each row


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("12,50", 'fee: "12,50" is not an amount (use 12.50)'),
        ("-3.00", 'fee: "-3.00" is negative; a fee is 0 or more'),
        ("abc", 'fee: "abc" is not an amount (use 1250.00)'),
        ("12.345", 'fee: "12.345" has more than two decimal places (cents)'),
        ("1.2.3", 'fee: "1.2.3" is not an amount (use 1250.00)'),
        ("12,5000", 'fee: "12,5000" is not an amount (use 1250.00)'),
        ("1e3", 'fee: "1e3" is not an amount (use 1250.00)'),
        ("NaN", 'fee: "NaN" is not an amount (use 1250.00)'),
        ("١٢", 'fee: "١٢" is not an amount (use 1250.00)'),
        ("99999999999", 'fee: "99999999999" is too large'),
        ("", "fee: missing"),
    ],
)
def test_bad_fees_name_the_line_and_field(fee, message):
    results = _results(f'code,description,fee\nD0120,Exam,"{fee}"\n')
    assert _errors(results) == [f"line 2, {message}"]
    assert results[0].status == RowStatus.ERROR


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("65", "65.00"),
        ("65.5", "65.50"),
        ("1250.00", "1250.00"),
        ("1,250.00", "1250.00"),
        ("$1,250", "1250.00"),
        (" 0 ", "0.00"),
    ],
)
def test_fees_as_spreadsheets_write_them_are_amounts(text, amount):
    assert parse_fee(text) == Decimal(amount)


@given(st.decimals(min_value=0, max_value=MAX_FEE, places=2))
def test_every_amount_written_with_a_point_reads_back_exactly(amount):
    assert parse_fee(f"{amount:.2f}") == amount
    assert parse_fee(f"{amount:,.2f}") == amount


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("X123", 'code: "X123" is not a procedure code (D followed by four digits)'),
        ("D12345", 'code: "D12345" is not a procedure code (D followed by four digits)'),
        ("", "code: missing"),
    ],
)
def test_bad_codes_name_the_line(code, message):
    assert _errors(_results(f"code,description,fee\n{code},Exam,65\n")) == [f"line 2, {message}"]


def test_every_problem_of_a_row_is_listed():
    results = _results("code,description,fee,category,minutes\nX1,,abc,cosmetic,ten\n")
    assert results[0].errors == (
        'code: "X1" is not a procedure code (D followed by four digits)',
        "description: missing",
        'fee: "abc" is not an amount (use 1250.00)',
        'category: "cosmetic" is not a category (one of Diagnostic, Preventive, Restorative, '
        "Endodontics, Periodontics, Prosthodontics, Implants, Oral surgery, Orthodontics, "
        "Adjunctive, Crowns, Other)",
        'minutes: "ten" is not a whole number of minutes',
    )


def test_a_code_twice_is_an_error_on_the_later_line():
    results = _results("code,description,fee\nD0120,Exam,65\nD0140,Exam,80\nd0120,Again,70\n")
    assert [result.status for result in results] == [RowStatus.NEW, RowStatus.NEW, RowStatus.ERROR]
    assert _errors(results) == ["line 4, code: D0120 is already on line 2"]


def test_descriptions_longer_than_the_catalog_holds_are_errors():
    results = _results(f"code,description,fee\nD0120,{'x' * 201},65\n")
    assert _errors(results) == ["line 2, description: 201 characters; at most 200"]


# What a row would do


def test_new_changed_and_unchanged_rows():
    results = _results(
        "code,description,fee\n"
        "D0120,Check-up exam,65.00\n"
        "D2740,Porcelain crown,1300\n"
        "D1110,Cleaning,95\n"
    )
    new, changed, unchanged = results
    assert new.status == RowStatus.NEW
    assert (new.code, new.description, new.fee, new.category, new.minutes) == (
        "D0120",
        "Check-up exam",
        Decimal("65.00"),
        "diagnostic",
        30,
    )
    assert changed.status == RowStatus.CHANGED
    assert [(c.field, c.old, c.new) for c in changed.changes] == [
        ("fee", Decimal("1250.00"), Decimal("1300.00"))
    ]
    assert unchanged.status == RowStatus.UNCHANGED
    assert unchanged.changes == ()


def test_category_comes_from_the_code_range_when_missing_or_empty():
    results = _results(
        "code,description,fee,category\n"
        "D2750,Crown,1200,\n"
        "D7140,Extraction,180,\n"
        "D3330,Root canal,1100,Endodontics\n"
        "D9110,Relief visit,90,ADJUNCTIVE\n"
    )
    assert [result.category for result in results] == [
        "crowns",
        "oral_surgery",
        "endodontics",
        "adjunctive",
    ]
    no_column = _results("code,description,fee\nD0210,X-rays,120\n")
    assert no_column[0].category == "diagnostic"


def test_a_code_already_in_the_catalog_keeps_its_category_and_minutes_when_left_empty():
    results = _results("code,description,fee,category,minutes\nD2740,Porcelain crown,1250,,\n")
    assert results[0].status == RowStatus.UNCHANGED
    assert (results[0].category, results[0].minutes) == ("crowns", 90)


def test_changed_description_category_and_minutes_show_old_and_new():
    results = _results(
        "code,description,fee,category,minutes\nD2740,All-ceramic crown,1250,Restorative,60\n"
    )
    assert [(c.field, c.old, c.new) for c in results[0].changes] == [
        ("description", "Porcelain crown", "All-ceramic crown"),
        ("category", "crowns", "restorative"),
        ("minutes", 90, 60),
    ]
    cells = {cell.field: (cell.old, cell.new) for cell in results[0].cells}
    assert cells["category"] == ("Crowns", "Restorative")
    assert cells["fee"] == (None, Decimal("1250.00"))


def test_the_digest_notices_that_the_catalog_moved():
    text = "code,description,fee\nD2740,Porcelain crown,1300\n"
    before = results_digest(_results(text))
    assert results_digest(_results(text)) == before
    moved = {**CATALOG, "D2740": CatalogEntry("Porcelain crown", Decimal("1280.00"), "crowns", 90)}
    assert results_digest(_results(text, moved)) != before
