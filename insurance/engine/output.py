"""The engine's result as the contract's JSON (estimate.md, section 4)."""

from insurance.engine.calculate import LineEstimate, PlanEstimate, Result
from insurance.engine.scenario import Plan
from insurance.engine.values import money_text


def _money(amount):
    return None if amount is None else money_text(amount)


def result_json(result: Result) -> dict:
    scenario = result.scenario
    document = {} if scenario.id is None else {"id": scenario.id}
    document |= {
        "as_of": scenario.as_of.isoformat(),
        "mode": scenario.mode,
        "estimates": [_estimate_json(line, plan) for line in result.lines for plan in line.plans],
        "procedures": [_line_json(line) for line in result.lines],
        "plans": [_plan_json(plan, scenario.as_of) for plan in scenario.plans],
    }
    return document


def _estimate_json(line: LineEstimate, estimate: PlanEstimate) -> dict:
    return {
        "procedure": line.line.ref,
        "plan": estimate.plan.ref,
        "allowed": _money(estimate.allowed),
        "substituted_code": estimate.substituted_code,
        "copay": _money(estimate.copay),
        "deductible": _money(estimate.deductible),
        "percentage": estimate.percentage,
        "base_estimate": _money(estimate.base_estimate),
        "ins_estimate": _money(estimate.ins_estimate),
        "writeoff": _money(estimate.writeoff),
        "notes": list(estimate.notes),
    }


def _line_json(line: LineEstimate) -> dict:
    return {
        "procedure": line.line.ref,
        "order": line.order,
        "fee": _money(line.fee),
        "ins_total": _money(line.ins_total),
        "writeoff_total": _money(line.writeoff_total),
        "patient_portion": _money(line.patient_portion),
    }


def _plan_json(plan: Plan, as_of) -> dict:
    verified_on = plan.benefits_verified_on
    return {
        "plan": plan.ref,
        "benefits_source": plan.benefits_source,
        "benefits_as_of": verified_on.isoformat() if verified_on else None,
        "benefits_age_days": (as_of - verified_on).days if verified_on else None,
    }
