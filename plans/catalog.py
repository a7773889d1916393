"""CDT code ranges to catalog categories (for display and metric cuts, not insurance coverage)."""

import re

CODE_PATTERN = re.compile(r"^D\d{4}$")

# (first, last, category): the CDT sections by code range.
_RANGES = (
    (0, 999, "diagnostic"),
    (1000, 1999, "preventive"),
    (2000, 2699, "restorative"),
    (2700, 2799, "crowns"),
    (2800, 2999, "restorative"),
    (3000, 3999, "endodontics"),
    (4000, 4999, "periodontics"),
    (5000, 5899, "prosthodontics"),
    (5900, 5999, "other"),  # maxillofacial prosthetics
    (6000, 6199, "implants"),
    (6200, 6999, "prosthodontics"),  # fixed prosthodontics
    (7000, 7999, "oral_surgery"),
    (8000, 8999, "orthodontics"),
    (9000, 9999, "adjunctive"),
)


def category_for_code(code: str) -> str:
    """The category of a CDT code such as D2740; raises ValueError for something else."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f'"{code}" is not a procedure code (D followed by four digits).')
    number = int(code[1:])
    for first, last, category in _RANGES:
        if first <= number <= last:
            return category
    raise ValueError(f'"{code}" is outside the CDT code ranges.')
