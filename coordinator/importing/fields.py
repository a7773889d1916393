"""Reading one JSON record field by field: every parser returns a clean value or says what is wrong.

A parser takes the raw JSON value and returns the cleaned value, or raises `Invalid` with a message
a person understands. `read_record` applies a spec of parsers to one object and collects every
problem under its PATH (`patients[3].phone`).
"""

import datetime
import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from coordinator.money import MAX_FEE
from coordinator.phones import normalize_phone
from plans.catalog import category_for_code

MONEY = re.compile(r"^\d{1,10}\.\d{2}$")
# ISO 8601 date and time to the minute, optional seconds and fraction, optional offset.
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Where the file was written it may already be tomorrow: a day of slack before "in the future".
SLACK = datetime.timedelta(days=1)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)


class Invalid(ValueError):
    """A value that cannot be imported; the message names the problem, not the path."""


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    parse: Parser
    required: bool = False


# A spec maps each allowed key to a Field, or to a nested spec for an object inside the record.
Spec = dict[str, "Field | Spec"]


def quoted(value: Any) -> str:
    """A value as it appears in the file, shortened: strings quoted, numbers and the rest bare."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if not isinstance(value, str):
        shown = str(value)
        return shown if len(shown) <= 60 else shown[:57] + "..."
    return json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)


def read_record(value: Any, path: str, spec: Spec, problems: list[Problem]) -> dict | None:
    """The cleaned values of the keys present in `value`, or None when it is not an object."""
    if not isinstance(value, dict):
        problems.append(Problem(path, "must be an object ({...})"))
        return None
    cleaned = {}
    for key in value:
        if key not in spec:
            problems.append(Problem(_join(path, key), f"unknown field (expected {_names(spec)})"))
    for key, field in spec.items():
        key_path = _join(path, key)
        if key not in value:
            if isinstance(field, Field) and field.required:
                problems.append(Problem(key_path, "required"))
            continue
        if isinstance(field, dict):
            nested = read_record(value[key], key_path, field, problems)
            if nested is not None:
                cleaned[key] = nested
            continue
        try:
            cleaned[key] = field.parse(value[key])
        except Invalid as error:
            problems.append(Problem(key_path, str(error)))
    return cleaned


def read_records(records: list, section: str, spec: Spec, problems: list[Problem]):
    """(path, cleaned record) of each valid record; problems of the others are recorded."""
    valid = []
    for index, record in enumerate(records):
        path = f"{section}[{index}]"
        before = len(problems)
        cleaned = read_record(record, path, spec, problems)
        if cleaned is not None and len(problems) == before:
            valid.append((path, cleaned))
    return valid


def raw_values(records: list, section: str, key: str) -> list[tuple[str, Any]]:
    """(path, value) of `key` in every record that has it as text, for duplicate checks."""
    return [
        (f"{section}[{index}]", record[key])
        for index, record in enumerate(records)
        if isinstance(record, dict) and isinstance(record.get(key), str)
    ]


def read_list(document: dict, key: str, problems: list[Problem]) -> list:
    """A section of records; an absent section is empty."""
    value = document.get(key, [])
    if not isinstance(value, list):
        problems.append(Problem(key, "must be a list ([...])"))
        return []
    return value


def find_duplicates(
    values: list[tuple[str, Any]], field: str, problems: list[Problem], *, case_sensitive=True
) -> None:
    """Report each value that appears a second time; `values` are (record path, value) pairs."""
    first_seen: dict[Any, str] = {}
    for path, value in values:
        key = value if case_sensitive else str(value).lower()
        if key in first_seen:
            problems.append(
                Problem(
                    f"{path}.{field}", f"{quoted(value)} is used twice (also {first_seen[key]})"
                )
            )
        else:
            first_seen[key] = path


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _names(spec: Spec) -> str:
    return ", ".join(spec)


# Parsers


def text(max_length: int, *, blank: bool = False) -> Parser:
    """A string, stripped; `blank` allows "" (and null, read as "") to clear an optional field."""

    def parse(value: Any) -> str:
        if value is None and blank:
            return ""
        if not isinstance(value, str):
            raise Invalid("must be text")
        value = value.strip()
        if not value and not blank:
            raise Invalid("must not be empty")
        if "\x00" in value:  # PostgreSQL text cannot hold it
            raise Invalid("contains a NUL character")
        if len(value) > max_length:
            raise Invalid(f"is longer than {max_length} characters")
        return value

    return parse


def ref(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise Invalid(f'must be text (put the id in quotes: "{value}")')
    return text(100)(value)


def choice(choices: list[str], noun: str) -> Parser:
    def parse(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"{quoted(value)} is not {noun} ({', '.join(choices)})")
        return value

    return parse


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("must be true or false")
    return value


def email(*, blank: bool = False) -> Parser:
    def parse(value: Any) -> str:
        cleaned = text(254, blank=blank)(value)
        if cleaned:
            try:
                validate_email(cleaned)
            except ValidationError:
                raise Invalid(f"{quoted(cleaned)} is not an email address") from None
        return cleaned

    return parse


def phone(value: Any) -> str:
    """Any format a person types; stored as E.164. Null or "" clears it."""
    cleaned = text(40, blank=True)(value)
    if not cleaned:
        return ""
    try:
        return normalize_phone(cleaned)
    except ValueError as error:
        raise Invalid(str(error).rstrip(".")) from None


def money(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise Invalid('must be a string with two decimals, e.g. "1250.00"')
    if not MONEY.match(value):
        raise Invalid(f'{quoted(value)} is not an amount (two decimals, e.g. "1250.00")')
    if Decimal(value) > MAX_FEE:
        raise Invalid(f"{quoted(value)} is more than the largest fee, {MAX_FEE}")
    return Decimal(value)


def minutes(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1440:
        raise Invalid(f"{quoted(value)} is not a number of minutes (a whole number, 1 to 1440)")
    return value


def birth_date(value: Any) -> datetime.date | None:
    """An ISO date (1979-04-02) in the past; null or "" clears it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid('must be a date as text, e.g. "1979-04-02"')
    try:
        if len(value) != 10:
            raise ValueError(value)
        date = datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f'{quoted(value)} is not a date (YYYY-MM-DD, e.g. "1979-04-02")') from None
    # A day of slack: where the file was written it may already be tomorrow.
    if date > timezone.localdate() + SLACK:
        raise Invalid(f"{quoted(value)} is in the future")
    if date < EARLIEST_BIRTH_DATE:
        raise Invalid(f"{quoted(value)} is before 1900")
    return date


def procedure_code(value: Any) -> str:
    code = text(5)(value)
    try:
        category_for_code(code)
    except ValueError as error:
        raise Invalid(str(error).rstrip(".")) from None
    return code


def slug(value: Any) -> str:
    cleaned = text(50)(value)
    if not SLUG.match(cleaned):
        raise Invalid(
            f"{quoted(cleaned)} is not a slug (lowercase letters, digits and dashes, "
            "e.g. smile-dental)"
        )
    return cleaned


def time_zone(value: Any) -> str:
    cleaned = text(64)(value)
    if cleaned not in zoneinfo.available_timezones():
        raise Invalid(f"{quoted(cleaned)} is not a time zone (e.g. America/Chicago)")
    return cleaned


def records(value: Any) -> list:
    """A non-empty list of nested records, read one by one by the section's reader."""
    if not isinstance(value, list):
        raise Invalid("must be a list ([...])")
    if not value:
        raise Invalid("must not be empty")
    return value


def moment(zone: datetime.tzinfo) -> Parser:
    """An ISO 8601 time (`2026-01-05T09:10`, seconds and offset optional), as an aware UTC
    datetime. Without an offset it is a wall-clock time in `zone` (the practice's): in the
    hour skipped when clocks go forward it is read with the offset before the change, and in
    the hour that repeats when they go back it is the first of the two."""

    def parse(value: Any) -> datetime.datetime:
        if not isinstance(value, str):
            raise Invalid('must be a time as text, e.g. "2026-01-05T09:10"')
        try:
            if not MOMENT.match(value):
                raise ValueError(value)
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(
                f'{quoted(value)} is not a time (ISO 8601, e.g. "2026-01-05T09:10")'
            ) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        parsed = parsed.astimezone(datetime.UTC)
        if parsed > timezone.now() + SLACK:
            raise Invalid(f"{quoted(value)} is in the future")
        return parsed

    return parse


def day(value: Any) -> datetime.date:
    """An ISO date (`2026-02-02`), not in the future."""
    if not isinstance(value, str):
        raise Invalid('must be a date as text, e.g. "2026-02-02"')
    try:
        if not DAY.match(value):
            raise ValueError(value)
        parsed = datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f'{quoted(value)} is not a date (YYYY-MM-DD, e.g. "2026-02-02")') from None
    if parsed > timezone.localdate() + SLACK:
        raise Invalid(f"{quoted(value)} is in the future")
    return parsed
