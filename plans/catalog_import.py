"""Reading a practice's own procedure-code file (CSV) and comparing it with its catalog (pure).

Nothing here touches the database: `read_catalog_file` turns the uploaded bytes into raw rows
(strings, with their line numbers in the file), and `compare_rows` checks each row and says what
importing it would do to the catalog it is given. The confirm step runs `compare_rows` again on
the same raw rows against the catalog as it is then, so nothing the browser sends is trusted.
"""

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from coordinator.money import MAX_FEE
from plans.catalog import category_for_code
from plans.models import Category

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 3000
REQUIRED_COLUMNS = ("code", "description", "fee")
OPTIONAL_COLUMNS = ("category", "minutes")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DEFAULT_MINUTES = 30
MAX_MINUTES = 600
MAX_DESCRIPTION = 200

# Digits 0-9 only (not other scripts' digits); thousands separators only where they belong.
_AMOUNT = re.compile(r"^(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<cents>[0-9]+))?$")
_DECIMAL_COMMA = re.compile(r"^[0-9]+,[0-9]{1,2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message is one line for the person uploading."""


@dataclass(frozen=True)
class RawRow:
    """One data line of the file: its line number and the text of each known column."""

    line: int
    values: dict[str, str]
    # Set when the line cannot be split into the header's columns.
    problem: str = ""

    def as_list(self) -> list:
        """A compact JSON-safe form for the session: [line, problem, code, description, ...]."""
        return [self.line, self.problem, *(self.values.get(column) for column in COLUMNS)]

    @classmethod
    def from_list(cls, data: Sequence) -> "RawRow":
        line, problem, *cells = data
        values = {
            column: str(cell)
            for column, cell in zip(COLUMNS, cells, strict=True)
            if cell is not None
        }
        return cls(line=int(line), values=values, problem=str(problem))


@dataclass(frozen=True)
class CatalogEntry:
    """What the catalog holds for a code now."""

    description: str
    fee: Decimal
    category: str
    minutes: int
    is_active: bool = True


class RowStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class RowResult:
    """What importing one line would do, or why it cannot be imported."""

    line: int
    code: str
    status: RowStatus
    description: str = ""
    fee: Decimal | None = None
    category: str = ""
    minutes: int | None = None
    changes: tuple[Change, ...] = ()
    errors: tuple[str, ...] = ()
    is_active: bool = True

    @property
    def messages(self) -> list[str]:
        """Each error as the person fixing the file needs it: `line 7, fee: ...`."""
        return [f"line {self.line}, {error}" for error in self.errors]

    @property
    def changed_fields(self) -> set[str]:
        return {change.field for change in self.changes}

    @property
    def cells(self) -> list[Change]:
        """Description, fee, category and minutes for the preview; `old` is None if unchanged."""
        olds = {change.field: change.old for change in self.changes}
        cells = []
        for field in ("description", "fee", "category", "minutes"):
            new, old = getattr(self, field), olds.get(field)
            if field == "category":
                new, old = _category_label(new), old and _category_label(old)
            cells.append(Change(field, old, new))
        return cells


def _category_label(value: str) -> str:
    return Category(value).label if value in Category.values else value


# --- Reading the file ----------------------------------------------------------------------------


def decode(content: bytes) -> str:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252, as spreadsheets save CSV."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file is neither UTF-8 nor Windows-1252 text: save it as CSV (UTF-8) and try again."
        ) from None


def _header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    if not any(columns):
        raise ImportFileError("Line 1 must be the header row (code, description, fee).")
    if columns[0] and re.fullmatch(r"d\d{4}", columns[0]):
        raise ImportFileError(
            f'Line 1 must be the header row (code, description, fee), not a code ("{cells[0]}").'
        )
    unnamed = [str(n) for n, column in enumerate(columns, start=1) if not column]
    if unnamed:
        raise ImportFileError(
            f"The header row has no name for column{'s' if len(unnamed) > 1 else ''} "
            f"{', '.join(unnamed)}."
        )
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise ImportFileError(f"The header row names a column twice: {', '.join(repeated)}.")
    extra = [
        cell.strip() for cell, column in zip(cells, columns, strict=True) if column not in COLUMNS
    ]
    if extra:
        raise ImportFileError(
            f"Unknown column{'s' if len(extra) > 1 else ''}: {', '.join(extra)}. "
            f"The columns are {', '.join(COLUMNS)} (category and minutes are optional)."
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise ImportFileError(
            f"The header row lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}."
        )
    return columns


def read_catalog_file(content: bytes) -> list[RawRow]:
    """The file's data rows with their line numbers; a line with the wrong number of values
    comes back with its `problem`. Raises ImportFileError when the file as a whole is unusable.
    """
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    text = decode(content)
    if "\x00" in text:
        raise ImportFileError("This is not a text file: save it as CSV and try again.")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[RawRow] = []
    columns: list[str] | None = None
    last_line = 0
    try:
        for cells in reader:
            # A quoted value may span lines: the row starts on the line after the previous one.
            line, last_line = last_line + 1, reader.line_num
            if columns is None:
                columns = _header(cells)
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, or a spreadsheet's trailing ",,,"
            if len(cells) != len(columns):
                problem = f"columns: {len(cells)} values, but the header has {len(columns)}"
                rows.append(RawRow(line=line, values={}, problem=problem))
            else:
                values = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
                rows.append(RawRow(line=line, values=values))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS} codes.")
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} cannot be read as CSV ({error}).") from None
    if columns is None:
        raise ImportFileError("The file is empty: it needs a header row and one line per code.")
    if not rows:
        raise ImportFileError("The file has a header row but no codes.")
    return rows


# --- Checking values -----------------------------------------------------------------------------


def parse_fee(text: str) -> Decimal:
    """An office fee as typed in a spreadsheet: 1250, 1250.00, 1,250.00 or $1,250.00."""
    value = text.strip()
    hint = value.replace(",", ".") if _DECIMAL_COMMA.match(value) else "1250.00"
    unsigned = value.removeprefix("-").strip().removeprefix("$").strip()
    match = _AMOUNT.match(unsigned)
    if match is None:
        raise ValueError(f'"{text}" is not an amount (use {hint})')
    if value.startswith("-"):
        raise ValueError(f'"{text}" is negative; a fee is 0 or more')
    if match["cents"] is not None and len(match["cents"]) > 2:
        raise ValueError(f'"{text}" has more than two decimal places (cents)')
    amount = Decimal(unsigned.replace(",", ""))
    if amount > MAX_FEE:
        raise ValueError(f'"{text}" is too large')
    return amount.quantize(Decimal("0.01"))


def parse_minutes(text: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"[0-9]+", value):
        raise ValueError(f'"{text}" is not a whole number of minutes')
    minutes = int(value)
    if minutes > MAX_MINUTES:
        raise ValueError(f'"{text}" is more than {MAX_MINUTES} minutes')
    return minutes


def parse_category(text: str) -> str:
    """A category by its value or its label, in any case: "oral_surgery" or "Oral surgery"."""
    wanted = text.strip().lower()
    for value, label in Category.choices:
        if wanted in (value, label.lower()):
            return value
    labels = ", ".join(label for _, label in Category.choices)
    raise ValueError(f'"{text}" is not a category (one of {labels})')


def parse_code(text: str) -> str:
    code = text.strip().upper()
    category_for_code(code)  # ValueError with the reason
    return code


def parse_description(text: str) -> str:
    value = text.strip()
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(f"{len(value)} characters; at most {MAX_DESCRIPTION}")
    return value


def _check(parse, text: str | None, field: str, errors: list[str]):
    if text is None or not text.strip():
        return None
    try:
        return parse(text)
    except ValueError as error:
        errors.append(f"{field}: {str(error).rstrip('.')}")
        return None


def compare_rows(rows: Iterable[RawRow], catalog: Mapping[str, CatalogEntry]) -> list[RowResult]:
    """Check every row and say whether it adds a code, changes one, or leaves it as it is.

    A code the catalog already has keeps its category and minutes when the file leaves them
    empty; a new code takes its category from its code range and the usual 30 minutes.
    """
    results = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.problem:
            results.append(
                RowResult(line=row.line, code="", status=RowStatus.ERROR, errors=(row.problem,))
            )
            continue
        values = row.values
        errors: list[str] = []
        code_text = values.get("code", "")
        code = _check(parse_code, code_text, "code", errors)
        if not code_text.strip():
            errors.append("code: missing")
        elif code in first_line:
            errors.append(f"code: {code} is already on line {first_line[code]}")
        elif code:
            first_line[code] = row.line
        description = _check(parse_description, values.get("description"), "description", errors)
        if not values.get("description", "").strip():
            errors.append("description: missing")
        fee = _check(parse_fee, values.get("fee"), "fee", errors)
        if not values.get("fee", "").strip():
            errors.append("fee: missing")
        category = _check(parse_category, values.get("category"), "category", errors)
        minutes = _check(parse_minutes, values.get("minutes"), "minutes", errors)
        if errors:
            results.append(
                RowResult(
                    line=row.line,
                    code=code or code_text.strip(),
                    status=RowStatus.ERROR,
                    errors=tuple(errors),
                )
            )
            continue
        current = catalog.get(code)
        if current is None:
            results.append(
                RowResult(
                    line=row.line,
                    code=code,
                    status=RowStatus.NEW,
                    description=description,
                    fee=fee,
                    category=category or category_for_code(code),
                    minutes=DEFAULT_MINUTES if minutes is None else minutes,
                )
            )
            continue
        category = category or current.category
        minutes = current.minutes if minutes is None else minutes
        changes = tuple(
            Change(field, old, new)
            for field, old, new in (
                ("description", current.description, description),
                ("fee", current.fee, fee),
                ("category", current.category, category),
                ("minutes", current.minutes, minutes),
            )
            if old != new
        )
        results.append(
            RowResult(
                line=row.line,
                code=code,
                status=RowStatus.CHANGED if changes else RowStatus.UNCHANGED,
                description=description,
                fee=fee,
                category=category,
                minutes=minutes,
                changes=changes,
                is_active=current.is_active,
            )
        )
    return results


def results_digest(results: Iterable[RowResult]) -> str:
    """A fingerprint of what a preview showed, to notice that the catalog moved before confirm."""
    digest = hashlib.sha256()
    for result in results:
        changes = ";".join(f"{c.field}={c.old}>{c.new}" for c in result.changes)
        digest.update(f"{result.line}|{result.code}|{result.status}|{changes}\n".encode())
    return digest.hexdigest()
