"""Reading the import document: a file or standard input, strict JSON, readable failures."""

import json
from decimal import Decimal
from pathlib import Path
from typing import IO, Any


class UnreadableDocument(Exception):
    """The file cannot be read or is not JSON; the message is one line naming the file."""


def read_document(name: str, stdin: IO[str]) -> Any:
    """The parsed JSON of file `name` (`-` for standard input). Numbers with a fraction are
    Decimals, so money can never pass through a float."""
    label = "stdin" if name == "-" else name
    try:
        raw = stdin.read() if name == "-" else Path(name).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UnreadableDocument(f"{label}: no such file") from None
    except IsADirectoryError:
        raise UnreadableDocument(f"{label}: is a directory, not a file") from None
    except UnicodeDecodeError:
        raise UnreadableDocument(f"{label}: not UTF-8 text") from None
    except OSError as error:
        raise UnreadableDocument(f"{label}: cannot be read ({error.strerror})") from None
    try:
        return json.loads(
            raw,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_reject_repeated_keys,
        )
    except json.JSONDecodeError as error:
        raise UnreadableDocument(
            f"{label}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except ValueError as error:
        raise UnreadableDocument(f"{label}: not valid JSON ({error})") from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _reject_repeated_keys(pairs: list[tuple[str, Any]]) -> dict:
    # JSON parsers keep the last of two equal keys; a typo-like mistake must not pass silently.
    document = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f'the key "{key}" appears twice in one object')
        document[key] = value
    return document
