"""Builders for the rule tables (test_rules*.py): contract-shaped scenario dicts, run, compare.

A table row is `case(id, scenario, expect)`. `expect` maps
- `"line/plan"` to a subset of that estimate row's fields (contract 4.1),
- `"line"` to a subset of that line's `procedures[]` fields (contract 4.2),
- `"order"` to the line refs in the order they were estimated,
- `"plans"` to the whole `plans[]` output (contract 4.3),
- `"estimates"` to the number of estimate rows.
Money is compared as the output's strings, to the cent.
"""

from typing import Any

import pytest

from insurance.engine import estimate, read_scenario, result_json

AS_OF = "2025-06-15"


def scenario(
    *procedures: dict,
    plans: list | tuple = (),
    history: list | tuple = (),
    mode: str = "in_order",
    as_of: str = AS_OF,
    age: int | None = 40,
    birth_date: str | None = None,
    family: list | None = None,
    **extra: Any,
) -> dict:
    patient: dict = {"birth_date": birth_date} if birth_date else {"age": age}
    if family:
        patient["family"] = list(family)
    doc = {
        "as_of": as_of,
        "mode": mode,
        "patient": patient,
        "plans": list(plans),
        "procedures": list(procedures),
    }
    if history:
        doc["history"] = list(history)
    doc.update(extra)
    return doc


def _rows(value, field: str) -> list[dict]:
    """{scope: value} or a list of full rows."""
    if isinstance(value, dict):
        return [{"scope": scope, field: amount} for scope, amount in value.items()]
    return list(value)


def plan(
    plan_type: str = "ppo",
    ref: str = "p",
    ordinal: int = 1,
    *,
    allowed: dict | None = None,
    plan_fees: dict | None = None,
    copay: dict | None = None,
    fixed_benefit: dict | None = None,
    cov: dict | list | None = None,
    ded: dict | list | None = None,
    max: dict | list | None = None,
    freq: list | None = None,
    age: dict | list | None = None,
    wait: dict | list | None = None,
    excl: list | None = None,
    **fields: Any,
) -> dict:
    doc: dict = {"ref": ref, "ordinal": ordinal, "plan_type": plan_type}
    schedules = {
        "allowed": allowed,
        "plan_fees": plan_fees,
        "copay": copay,
        "fixed_benefit": fixed_benefit,
    }
    schedules = {name: value for name, value in schedules.items() if value is not None}
    if schedules:
        doc["fee_schedules"] = schedules
    benefits = {
        "coverage": cov is not None and _rows(cov, "percent"),
        "deductibles": ded is not None and _rows(ded, "amount"),
        "maximums": max is not None and _rows(max, "amount"),
        "frequencies": freq is not None and list(freq),
        "age_limits": age is not None and _rows(age, "max_age"),
        "waiting_periods": wait is not None and _rows(wait, "months"),
        "exclusions": excl is not None and [{"scope": scope} for scope in excl],
    }
    benefits = {name: value for name, value in benefits.items() if value is not False}
    if benefits:
        doc["benefits"] = benefits
    doc.update(fields)
    return doc


def ppo(ref: str = "p", ordinal: int = 1, **kw: Any) -> dict:
    return plan("ppo", ref, ordinal, **kw)


def pct(ref: str = "p", ordinal: int = 1, **kw: Any) -> dict:
    return plan("percentage", ref, ordinal, **kw)


def proc(ref: str, code: str, fee: str | None = None, **fields: Any) -> dict:
    doc = {"ref": ref, "code": code}
    if fee is not None:
        doc["fee"] = fee
    doc.update(fields)
    return doc


def hist(kind: str, code: str | None = None, date: str | None = None, plan: str = "p", **kw):
    doc = {"plan": plan, "kind": kind}
    if code is not None:
        doc["code"] = code
    if date is not None:
        doc["date"] = date
    doc.update(kw)
    return doc


def paid(code=None, date=None, amount=None, **kw):
    if amount is not None:
        kw["amount"] = amount
    return hist("paid", code, date, **kw)


def pending(code=None, date=None, amount=None, **kw):
    if amount is not None:
        kw["amount"] = amount
    return hist("pending", code, date, **kw)


def elsewhere(code, date, **kw):
    return hist("done_elsewhere", code, date, **kw)


def used(date, amount=None, deductible=None, **kw):
    if amount is not None:
        kw["amount"] = amount
    if deductible is not None:
        kw["deductible"] = deductible
    return hist("benefits_used", None, date, **kw)


def freq_row(scope: str, per: str, count: int | None = None, area: str | None = None) -> dict:
    row = {"scope": scope, "per": per}
    if count is not None:
        row["count"] = count
    if area is not None:
        row["area"] = area
    return row


HALF = {"general": 50}
ALL = {"general": 100}


def crown(
    *plans: dict,
    settings: dict | None = None,
    history: list | tuple = (),
    mode: str = "in_order",
    family: list | None = None,
    **line: Any,
) -> dict:
    """One $1000 crown (D2740, ref "c") on the given plans."""
    extra = {"settings": settings} if settings else {}
    return scenario(
        proc("c", "D2740", "1000.00", **line),
        plans=list(plans),
        history=history,
        mode=mode,
        family=family,
        **extra,
    )


def fam(scope: str, amount: str, **kw: Any) -> dict:
    """A family-level deductible or maximum row."""
    return {"scope": scope, "amount": amount, "level": "family", **kw}


def life(scope: str, amount: str, **kw: Any) -> dict:
    """A lifetime deductible or maximum row."""
    return {"scope": scope, "amount": amount, "period": "lifetime", **kw}


def run(doc: dict) -> dict:
    return result_json(estimate(read_scenario(doc)))


def check(result: dict, expect: dict) -> None:
    for key, wanted in expect.items():
        if key == "order":
            got = [line["procedure"] for line in result["procedures"]]
            assert got == wanted, "order"
            assert [line["order"] for line in result["procedures"]] == list(range(1, len(got) + 1))
        elif key == "plans":
            assert result["plans"] == wanted
        elif key == "estimates":
            assert len(result["estimates"]) == wanted
        elif "/" in key:
            line_ref, plan_ref = key.split("/")
            rows = [
                row
                for row in result["estimates"]
                if row["procedure"] == line_ref and row["plan"] == plan_ref
            ]
            assert len(rows) == 1, f"{key}: {len(rows)} estimate rows"
            got = {field: rows[0][field] for field in wanted}
            assert got == wanted, f"{key}: {rows[0]}"
        else:
            rows = [row for row in result["procedures"] if row["procedure"] == key]
            assert len(rows) == 1, f"{key}: {len(rows)} procedure rows"
            got = {field: rows[0][field] for field in wanted}
            assert got == wanted, f"{key}: {rows[0]}"


def case(case_id: str, doc: dict, expect: dict, xfail: str | None = None):
    marks = [pytest.mark.xfail(strict=True, reason=f"engine: {xfail}")] if xfail else []
    return pytest.param(doc, expect, id=case_id, marks=marks)


def paid_out(ins: str, base: str | None = None, **more: Any) -> dict:
    """Shorthand for an estimate that pays: ins_estimate (and base_estimate, default the same)."""
    return {"ins_estimate": ins, "base_estimate": ins if base is None else base, **more}


DENIED_FREQ = {"ins_estimate": "0.00", "base_estimate": "0.00", "notes": ["frequency_limit"]}
CROWN_PPO = {"allowed": {"D2740": "800.00"}, "cov": HALF}  # a $1000 crown: pays 400, writes off 200
