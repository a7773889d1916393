"""The insurance estimate engine: pure functions, no ORM, no clock (rules in
../shared/docs/insurance-estimation.md, input and output in contracts/estimate.md).

The plan screen (through `insurance.adapter`) and `manage.py estimate` both call it.
"""

from insurance.engine.calculate import LineEstimate, PlanEstimate, Result, estimate
from insurance.engine.output import result_json
from insurance.engine.reading import ScenarioError, read_scenario

__all__ = [
    "LineEstimate",
    "PlanEstimate",
    "Result",
    "ScenarioError",
    "estimate",
    "read_scenario",
    "result_json",
]
