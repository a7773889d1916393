"""Reading a group plan's fee schedule from CSV and comparing it with what is on file (pure).

The file has the columns `code,amount`. An empty amount removes the code from the schedule: a
code without an amount is blank (no fee on file), which is not the same as 0.00. Codes that are
not in the file stay as they are, unless the import replaces the whole schedule.

As with the catalog import (plans/catalog_import.py), `read_fee_file` turns the upload into raw
rows with their line numbers, and `compare_fee_rows` says what each row would do; the confirm
step compares the same raw rows again against the schedule as it is then.
"""

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from plans.catalog_import import ImportFileError, decode, parse_code, parse_fee

MAX_BYTES = 1024 * 1024
MAX_ROWS = 3000
COLUMNS = ("code", "amount")


@dataclass(frozen=True)
class FeeRow:
    """One data line of the file: its number, its code and amount as typed, or its problem."""

    line: int
    code: str = ""
    amount: str = ""
    problem: str = ""

    def as_list(self) -> list:
        """A JSON-safe form for the session."""
        return [self.line, self.code, self.amount, self.problem]

    @classmethod
    def from_list(cls, data: Sequence) -> "FeeRow":
        line, code, amount, problem = data
        return cls(line=int(line), code=str(code), amount=str(amount), problem=str(problem))


class FeeStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    REMOVED = "removed"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True)
class FeeResult:
    """What importing one line would do. `line` is 0 for a code removed because the file lacks
    it (when replacing the whole schedule)."""

    line: int
    code: str
    status: FeeStatus
    old: Decimal | None = None
    new: Decimal | None = None
    errors: tuple[str, ...] = ()

    @property
    def messages(self) -> list[str]:
        """Each error as the person fixing the file needs it: `line 7, amount: ...`."""
        return [f"line {self.line}, {error}" for error in self.errors]


def _header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    if columns and parse_code_or_none(columns[0]):
        raise ImportFileError(
            f'Line 1 must be the header row (code, amount), not a code ("{cells[0]}").'
        )
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        raise ImportFileError(f"The header row names a column twice: {', '.join(repeated)}.")
    extra = [
        cell.strip() or "(empty)"
        for cell, col in zip(cells, columns, strict=True)
        if col not in COLUMNS
    ]
    if extra:
        raise ImportFileError(
            f"Unknown column{'s' if len(extra) > 1 else ''}: {', '.join(extra)}. "
            "The columns are code and amount."
        )
    missing = [column for column in COLUMNS if column not in columns]
    if missing:
        raise ImportFileError(f"The header row lacks the column {' and '.join(missing)}.")
    return columns


def parse_code_or_none(text: str) -> str | None:
    try:
        return parse_code(text)
    except ValueError:
        return None


def read_fee_file(content: bytes) -> list[FeeRow]:
    """The file's data rows; raises ImportFileError when the file as a whole is unusable."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // 1024} KB.")
    text = decode(content)
    if "\x00" in text:
        raise ImportFileError("This is not a text file: save it as CSV and try again.")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[FeeRow] = []
    columns: list[str] | None = None
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if columns is None:
                columns = _header(cells)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                problem = f"columns: {len(cells)} values, but the header has {len(columns)}"
                rows.append(FeeRow(line=line, problem=problem))
            else:
                values = {c: v.strip() for c, v in zip(columns, cells, strict=True)}
                rows.append(FeeRow(line=line, code=values["code"], amount=values["amount"]))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS} codes.")
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num} cannot be read as CSV ({error}).") from None
    if columns is None:
        raise ImportFileError("The file is empty: it needs a header row (code, amount).")
    return rows


def compare_fee_rows(
    rows: Iterable[FeeRow], current: Mapping[str, Decimal], *, replace: bool = False
) -> list[FeeResult]:
    """Check every row and say what it does to the schedule `current` (code → amount).

    With `replace`, codes on file that the file does not list are removed.
    """
    results = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.problem:
            results.append(
                FeeResult(line=row.line, code="", status=FeeStatus.ERROR, errors=(row.problem,))
            )
            continue
        errors: list[str] = []
        code = None
        if not row.code:
            errors.append("code: missing")
        else:
            try:
                code = parse_code(row.code)
            except ValueError as error:
                errors.append(f"code: {str(error).rstrip('.')}")
        if code in first_line:
            errors.append(f"code: {code} is already on line {first_line[code]}")
        elif code:
            first_line[code] = row.line
        amount = None
        if row.amount:
            try:
                amount = parse_fee(row.amount)
            except ValueError as error:
                errors.append(
                    f"amount: {str(error).rstrip('.')}".replace("a fee is", "an amount is")
                )
        if errors:
            results.append(
                FeeResult(
                    line=row.line,
                    code=code or row.code,
                    status=FeeStatus.ERROR,
                    errors=tuple(errors),
                )
            )
            continue
        old = current.get(code)
        if amount is None:
            status = FeeStatus.REMOVED if old is not None else FeeStatus.UNCHANGED
        elif old is None:
            status = FeeStatus.NEW
        else:
            status = FeeStatus.CHANGED if old != amount else FeeStatus.UNCHANGED
        results.append(FeeResult(line=row.line, code=code, status=status, old=old, new=amount))
    if replace:
        results += [
            FeeResult(line=0, code=code, status=FeeStatus.REMOVED, old=old)
            for code, old in sorted(current.items())
            if code not in first_line
        ]
    return results


def fee_digest(results: Iterable[FeeResult]) -> str:
    """A fingerprint of what a preview showed, to notice that the schedule moved before confirm."""
    digest = hashlib.sha256()
    for result in results:
        digest.update(
            f"{result.line}|{result.code}|{result.status}|{result.old}|{result.new}\n".encode()
        )
    return digest.hexdigest()


def fee_csv(entries: Iterable[tuple[str, Decimal]]) -> str:
    """A schedule as the import reads it: `code,amount`, one line per code."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for code, amount in entries:
        writer.writerow([code, f"{amount:.2f}"])
    return out.getvalue()
