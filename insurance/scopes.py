"""Benefit scopes and frequency periods: the strings of the estimate contract, parsed (pure).

A scope says which codes a benefit row covers (contract §3.7): `general` (the plan-wide row),
`category:NAME` (a category of the standard table, §3.4), `code:D2740` or
`code_group:D0120,D0150`. A frequency period (`per`) is `calendar_year`, `benefit_year`,
`last_12_months`, `months:N` or `years:N`. Parsing is lenient about case and spaces and returns
the canonical text, which is what the models store and the engine reads unchanged.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

CODE = re.compile(r"^D\d{4}$")
# The standard coverage categories (contract §3.4), in order: a higher order is more specific.
CATEGORIES = (
    "general",
    "diagnostic",
    "diagnostic_xray",
    "preventive",
    "restorative",
    "endodontics",
    "periodontics",
    "oral_surgery",
    "crowns",
    "prosthodontics",
    "maxillofacial_prosthetics",
    "implants",
    "orthodontics",
    "adjunctive",
)
MAX_GROUP_CODES = 100
MAX_PERIOD_COUNT = 99
# Fits MAX_GROUP_CODES codes ("code_group:" and "D0000," each).
MAX_SCOPE_LENGTH = 700

# Kinds of benefit row whose scope is restricted (the others take any scope).
FREQUENCY = "frequency"
EXCLUSION = "exclusion"


class ScopeKind(StrEnum):
    GENERAL = "general"
    CATEGORY = "category"
    CODE = "code"
    CODE_GROUP = "code_group"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    category: str = ""
    codes: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == ScopeKind.GENERAL:
            return "general"
        if self.kind == ScopeKind.CATEGORY:
            return f"category:{self.category}"
        return f"{self.kind}:{','.join(self.codes)}"

    @property
    def label(self) -> str:
        """The scope in plain words, for screens."""
        if self.kind == ScopeKind.GENERAL:
            return "Whole plan"
        if self.kind == ScopeKind.CATEGORY:
            return category_label(self.category)
        return ", ".join(self.codes)


def category_label(name: str) -> str:
    if name == "diagnostic_xray":
        return "Diagnostic X-rays"
    return name.replace("_", " ").capitalize()


def _code(text: str) -> str:
    code = text.strip().upper()
    if not CODE.match(code):
        raise ValueError(f'"{text.strip()}" is not a procedure code (D followed by four digits)')
    return code


def parse_scope(text: str) -> Scope:
    """The scope in `text`; ValueError with a readable reason when it is not one."""
    value = text.strip()
    if not value:
        raise ValueError("a scope is required")
    if value.lower() == "general":
        return Scope(ScopeKind.GENERAL)
    prefix, colon, rest = value.partition(":")
    prefix = prefix.strip().lower()
    if not colon or prefix not in (ScopeKind.CATEGORY, ScopeKind.CODE, ScopeKind.CODE_GROUP):
        raise ValueError(
            f'"{value}" is not a scope (general, category:NAME, code:D2740 or '
            "code_group:D0120,D0150)"
        )
    if prefix == ScopeKind.CATEGORY:
        name = rest.strip().lower()
        if name not in CATEGORIES:
            raise ValueError(f'"{rest.strip()}" is not a category (one of {", ".join(CATEGORIES)})')
        return Scope(ScopeKind.CATEGORY, category=name)
    if prefix == ScopeKind.CODE:
        return Scope(ScopeKind.CODE, codes=(_code(rest),))
    parts = [part for part in rest.split(",") if part.strip()]
    if not parts:
        raise ValueError("a code group lists at least one code")
    if len(parts) > MAX_GROUP_CODES:
        raise ValueError(f"a code group lists at most {MAX_GROUP_CODES} codes")
    codes = tuple(_code(part) for part in parts)
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ValueError(f"the code group lists {', '.join(repeated)} more than once")
    return Scope(ScopeKind.CODE_GROUP, codes=codes)


def scope_problem(kind: str, scope: Scope) -> str | None:
    """Why a benefit row of `kind` cannot have this scope, or None when it can."""
    if kind == FREQUENCY and scope.kind not in (ScopeKind.CODE, ScopeKind.CODE_GROUP):
        return "a frequency limit names codes: a code (code:D1110) or a code group"
    if kind == EXCLUSION and scope.kind == ScopeKind.GENERAL:
        return "an exclusion names what the plan does not cover: a category, a code or codes"
    return None


def normalize_scope(kind: str, text: str) -> str:
    """The canonical scope text for a row of `kind`; ValueError when it is not allowed."""
    scope = parse_scope(text)
    if problem := scope_problem(kind, scope):
        raise ValueError(problem)
    return str(scope)


# --- Frequency periods ---------------------------------------------------------------------------

FIXED_PERIODS = ("calendar_year", "benefit_year", "last_12_months")
_COUNTED_PERIOD = re.compile(r"^(months|years)\s*:\s*(\d+)$")


def normalize_period(text: str) -> str:
    """The canonical frequency period (`per`); ValueError when `text` is not one."""
    value = text.strip().lower()
    if value in FIXED_PERIODS:
        return value
    match = _COUNTED_PERIOD.match(value)
    if match is None:
        raise ValueError(
            f'"{text.strip()}" is not a period (calendar_year, benefit_year, last_12_months, '
            "months:N or years:N)"
        )
    count = int(match[2])
    if not 1 <= count <= MAX_PERIOD_COUNT:
        raise ValueError(f"the number of {match[1]} is 1 to {MAX_PERIOD_COUNT}")
    return f"{match[1]}:{count}"


def period_label(per: str) -> str:
    """A frequency period in plain words: "per calendar year", "once every 5 years"."""
    if per == "calendar_year":
        return "per calendar year"
    if per == "benefit_year":
        return "per benefit year"
    if per == "last_12_months":
        return "in the last 12 months"
    unit, _, count = per.partition(":")
    return f"every {count} {unit if count != '1' else unit.rstrip('s')}"
