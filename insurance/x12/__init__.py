"""X12 5010 dental eligibility (005010X279A1): the 270 inquiry and the 271 response (pure).

`build_270` / `parse_270` write and read the inquiry; `parse_271` reads the response into benefit
rows in the estimate engine's vocabulary. Every malformed input raises `X12Error`, naming the
segment.
"""

from insurance.x12.request import Dependent, EligibilityRequest, build_270, parse_270
from insurance.x12.response import (
    Contact,
    EligibilityResponse,
    LastVisit,
    Member,
    Message,
    Rejection,
    parse_271,
)
from insurance.x12.rows import (
    AgeLimit,
    BenefitRows,
    Coverage,
    Deductible,
    Exclusion,
    Frequency,
    Maximum,
    UnmappedBenefit,
    UsedBenefit,
    WaitingPeriod,
)
from insurance.x12.segments import X12Error

__all__ = [
    "AgeLimit",
    "BenefitRows",
    "Contact",
    "Coverage",
    "Deductible",
    "Dependent",
    "EligibilityRequest",
    "EligibilityResponse",
    "Exclusion",
    "Frequency",
    "LastVisit",
    "Maximum",
    "Member",
    "Message",
    "Rejection",
    "UnmappedBenefit",
    "UsedBenefit",
    "WaitingPeriod",
    "X12Error",
    "build_270",
    "parse_270",
    "parse_271",
]
