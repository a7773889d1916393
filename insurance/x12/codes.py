"""X12 code lists used by the eligibility reader, in the coordinator's words."""

# EB03 service type → benefit scope of the estimate engine (contract §3.7). Dental care (35) is
# the whole plan, so it is the plan-wide `general` scope, not the General category.
SERVICE_TYPE_SCOPES = {
    "35": "general",
    "23": "category:diagnostic",
    "4": "category:diagnostic_xray",
    "41": "category:preventive",
    "25": "category:restorative",
    "26": "category:endodontics",
    "24": "category:periodontics",
    "40": "category:oral_surgery",
    "36": "category:crowns",
    "39": "category:prosthodontics",
    "27": "category:maxillofacial_prosthetics",
    "38": "category:orthodontics",
    "28": "category:adjunctive",
}

SERVICE_TYPE_LABELS = {
    "1": "medical care",
    "4": "diagnostic X-ray",
    "7": "anesthesia",
    "23": "diagnostic dental",
    "24": "periodontics",
    "25": "restorative",
    "26": "endodontics",
    "27": "maxillofacial prosthetics",
    "28": "adjunctive dental services",
    "30": "health benefit plan coverage",
    "35": "dental care",
    "36": "dental crowns",
    "37": "dental accident",
    "38": "orthodontics",
    "39": "prosthodontics",
    "40": "oral surgery",
    "41": "routine preventive dental",
}

BENEFIT_LABELS = {
    "1": "active coverage",
    "6": "inactive",
    "A": "co-insurance",
    "B": "co-payment",
    "C": "deductible",
    "D": "benefit description",
    "E": "exclusion",
    "F": "limitation",
    "G": "out-of-pocket",
    "I": "non-covered",
    "L": "primary care provider",
    "N": "services restricted to provider",
    "P": "benefit disclaimer",
    "R": "other or additional payer",
    "U": "contact following entity",
    "V": "cannot process",
    "W": "other source of data",
    "CB": "coverage basis",
}

# EB06 and HSD05 time periods.
PERIOD_LABELS = {
    "7": "day",
    "21": "years",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "29": "remaining",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "months",
    "35": "week",
}

# AAA03: why the payer could not answer the request.
REJECT_REASONS = {
    "04": "authorized quantity exceeded",
    "15": "required application data missing",
    "33": "input errors",
    "35": "out of network",
    "41": "not authorized to make this inquiry",
    "42": "payer unable to respond now",
    "43": "invalid provider ID",
    "44": "invalid provider name",
    "45": "invalid provider specialty",
    "47": "invalid provider state",
    "50": "provider not eligible for inquiries",
    "51": "provider not on file",
    "52": "service date outside the provider's plan enrollment",
    "56": "inappropriate date",
    "57": "invalid date of service",
    "58": "invalid date of birth",
    "60": "date of birth after the date of service",
    "62": "date of service outside the inquiry period",
    "63": "date of service in the future",
    "64": "invalid patient ID",
    "65": "invalid patient name",
    "66": "invalid patient gender",
    "67": "patient not found",
    "68": "duplicate patient ID",
    "71": "patient birth date does not match",
    "72": "invalid member ID",
    "73": "invalid subscriber name",
    "74": "invalid subscriber gender",
    "75": "subscriber not found",
    "76": "duplicate member ID",
    "77": "subscriber found, patient not found",
    "78": "subscriber not in the group or plan",
    "79": "invalid participant identification",
    "80": "no response received",
    "97": "invalid provider address",
    "T4": "payer name or ID missing",
}

# AAA04: what the payer asks the office to do next.
FOLLOW_UP_ACTIONS = {
    "C": "correct and resubmit",
    "N": "resubmission not allowed",
    "P": "resubmit the original request",
    "R": "resubmission allowed",
    "S": "do not resubmit; the payer asked a third party",
    "W": "wait 30 days and resubmit",
    "X": "wait 10 days and resubmit",
    "Y": "do not resubmit; the payer will answer later",
}


def service_type_label(code: str) -> str:
    return SERVICE_TYPE_LABELS.get(code, f"service type {code}")
