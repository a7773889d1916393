"""The 271 response: the composed sample row by row, rejections, networks and odd rows."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insurance.x12 import (
    AgeLimit,
    Contact,
    Coverage,
    Deductible,
    Exclusion,
    Frequency,
    LastVisit,
    Maximum,
    Member,
    Rejection,
    UnmappedBenefit,
    UsedBenefit,
    WaitingPeriod,
    X12Error,
    parse_271,
)
from tests.insurance.x12.x12_text import (
    PAYER_AND_PROVIDER,
    SAMPLE_271,
    interchange_271,
    replaced,
    subscriber_271,
)


@pytest.fixture(scope="module")
def jane():
    return parse_271(SAMPLE_271)


def test_who_and_which_plan(jane):
    assert (jane.payer_name, jane.payer_id) == ("EXAMPLE DENTAL PLAN", "99999")
    assert (jane.provider_name, jane.provider_npi) == ("SMILE DENTAL GROUP", "1234567893")
    assert jane.trace_number == "930000001"
    assert jane.subscriber == Member("DOE", "JANE", "W123456789", date(1985, 4, 12), "F")
    assert jane.dependent is None
    assert jane.benefits_level == "subscriber"
    assert (jane.group_number, jane.group_name) == ("G100200", "ACME CORP DENTAL PPO")
    assert (jane.plan_begin, jane.plan_end) == (date(2025, 1, 1), None)
    assert (jane.eligibility_begin, jane.eligibility_end) == (date(2024, 9, 1), None)


def test_active_ppo(jane):
    assert jane.active is True
    assert jane.inactive_reason == ""
    assert (jane.plan_description, jane.insurance_type) == ("ACME DENTAL PPO", "PR")
    assert jane.covered_service_types == (
        "35", "23", "24", "25", "26", "36", "38", "39", "40", "41",
    )  # fmt: skip
    assert jane.rejections == ()


def test_in_network_coverage(jane):
    # Diagnostic/preventive 100 %, basic 80 %, major 50 %, ortho 50 %.
    assert jane.benefits.coverage == (
        Coverage("category:diagnostic", 100),
        Coverage("category:preventive", 100),
        Coverage("category:restorative", 80),
        Coverage("category:periodontics", 80),
        Coverage("category:endodontics", 80),
        Coverage("category:oral_surgery", 80),
        Coverage("category:crowns", 50),
        Coverage("category:prosthodontics", 50),
        Coverage("category:orthodontics", 50),
    )


def test_deductibles_with_the_waiver_for_diagnostic_and_preventive(jane):
    assert jane.benefits.deductibles == (
        Deductible("general", "50.00", "individual", "benefit_year"),
        Deductible("general", "150.00", "family", "benefit_year"),
        Deductible("category:diagnostic", "0.00", "individual", "benefit_year"),
        Deductible("category:preventive", "0.00", "individual", "benefit_year"),
    )


def test_annual_and_ortho_lifetime_maximums(jane):
    assert jane.benefits.maximums == (
        Maximum("general", "1500.00", "individual", "benefit_year"),
        Maximum("category:orthodontics", "1500.00", "individual", "lifetime"),
    )


def test_what_is_used_and_left(jane):
    # $20 of $50 left, $100 of $150 left, $420 used of $1500, ortho untouched.
    assert jane.benefits.used == (
        UsedBenefit(
            "deductible", "general", "individual", "benefit_year", Decimal("50"), Decimal("30")
        ),
        UsedBenefit(
            "deductible", "general", "family", "benefit_year", Decimal("150"), Decimal("50")
        ),
        UsedBenefit(
            "maximum", "general", "individual", "benefit_year", Decimal("1500"), Decimal("420")
        ),
        UsedBenefit(
            "maximum", "category:orthodontics", "individual", "lifetime", Decimal("1500"), 0
        ),
    )


def test_frequencies_and_last_visits(jane):
    assert jane.benefits.frequencies == (
        Frequency("code:D1110", 2, "benefit_year"),
        Frequency("code:D0274", 1, "months:12"),
        Frequency("code:D0330", 1, "months:60"),
        Frequency("code:D1351", 1, "months:36"),
    )
    assert jane.last_visits == (
        LastVisit("D1110", date(2024, 8, 12)),
        LastVisit("D0274", date(2024, 8, 12)),
    )


def test_age_limits_waiting_periods_and_exclusions(jane):
    assert jane.benefits.age_limits == (AgeLimit("category:orthodontics", 19),)
    assert jane.benefits.waiting_periods == (
        WaitingPeriod("category:crowns", 12, date(2025, 9, 1)),
        WaitingPeriod("category:prosthodontics", 12, date(2025, 9, 1)),
    )
    assert jane.benefits.exclusions == (Exclusion("code:D9972"),)


def test_limits_the_engine_cannot_hold_stay_as_text(jane):
    # Sealants through 15 comes without its code; crowns once per tooth per 5 years, likewise.
    assert jane.benefits.unmapped == (
        UnmappedBenefit(
            segment=53,
            service_type="41",
            label="routine preventive dental",
            detail="limitation, individual, through age 15",
            reason="an age limit on all of category:preventive",
            messages=("SEALANTS COVERED THROUGH AGE 15",),
        ),
        UnmappedBenefit(
            segment=55,
            service_type="36",
            label="dental crowns",
            detail="limitation, individual, 1 per 5 years",
            reason="a frequency without a procedure code",
            messages=("CROWNS REPLACEMENT ONCE PER TOOTH EVERY 5 YEARS",),
        ),
    )


def test_out_of_network_rows_are_kept_apart(jane):
    assert jane.out_of_network.coverage == (
        Coverage("category:restorative", 60),
        Coverage("category:periodontics", 60),
        Coverage("category:endodontics", 60),
        Coverage("category:oral_surgery", 60),
    )
    assert jane.out_of_network.as_contract() == {
        "coverage": [
            {"scope": "category:restorative", "percent": 60},
            {"scope": "category:periodontics", "percent": 60},
            {"scope": "category:endodontics", "percent": 60},
            {"scope": "category:oral_surgery", "percent": 60},
        ],
        "deductibles": [],
        "maximums": [],
        "frequencies": [],
        "age_limits": [],
        "waiting_periods": [],
        "exclusions": [],
    }


def test_messages_text_rules_and_contacts(jane):
    assert [(m.text, m.benefit, m.service_types, m.code) for m in jane.messages] == [
        ("DEDUCTIBLE WAIVED FOR DIAGNOSTIC AND PREVENTIVE", "C", ("23", "41"), ""),
        ("MAJOR SERVICES COVERED AFTER 12 MONTH WAITING PERIOD", "A", ("36", "39"), ""),
        ("ORTHODONTICS COVERED THROUGH AGE 19", "F", ("38",), ""),
        (
            "OUT OF NETWORK BENEFITS BASED ON MAXIMUM PLAN ALLOWANCE",
            "A",
            ("25", "24", "26", "40"),
            "",
        ),
        ("SEALANTS ON PERMANENT MOLARS ONLY", "F", ("41",), "D1351"),
        ("SEALANTS COVERED THROUGH AGE 15", "F", ("41",), ""),
        ("CROWNS REPLACEMENT ONCE PER TOOTH EVERY 5 YEARS", "F", ("36",), ""),
        ("POSTERIOR COMPOSITES ARE PAID AT THE AMALGAM ALLOWANCE", "D", ("25",), ""),
        ("MISSING TOOTH CLAUSE APPLIES", "D", ("39",), ""),
    ]
    assert jane.missing_tooth_clause is True
    assert jane.contacts == (
        Contact(("35",), "VN", "ORTHO BENEFITS ADMINISTRATOR", "", "8005550199"),
    )
    assert jane.other_payers == ()


def test_the_contract_form_of_the_waiting_period_has_no_date(jane):
    contract = jane.benefits.as_contract()

    assert contract["waiting_periods"] == [
        {"scope": "category:crowns", "months": 12},
        {"scope": "category:prosthodontics", "months": 12},
    ]
    assert contract["deductibles"][0] == {
        "scope": "general",
        "amount": "50.00",
        "level": "individual",
        "period": "benefit_year",
    }
    assert contract["frequencies"][1] == {"scope": "code:D0274", "count": 1, "per": "months:12"}


def test_a_rejected_member_id_parses_as_inactive_with_the_reason():
    response = parse_271(
        interchange_271(
            *PAYER_AND_PROVIDER,
            "HL*3*2*22*0",
            "TRN*2*930000001*1987654321",
            "NM1*IL*1*DOE*JANE****MI*W123456780",
            "AAA*N**72*C",
        )
    )

    assert response.active is False
    assert response.inactive_reason == "invalid member ID (72)"
    assert response.rejections == (
        Rejection("72", "invalid member ID", "correct and resubmit", "subscriber", 12),
    )
    assert response.subscriber.member_id == "W123456780"
    assert response.benefits.coverage == ()


def test_a_payer_that_cannot_answer_now_is_read_without_a_subscriber():
    response = parse_271(
        interchange_271("HL*1**20*0", "NM1*PR*2*EXAMPLE DENTAL PLAN*****PI*99999", "AAA*Y**42*R")
    )

    assert response.subscriber is None
    assert response.active is False
    assert response.rejections == (
        Rejection("42", "payer unable to respond now", "resubmission allowed", "payer", 7),
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [("73", "invalid subscriber name"), ("75", "subscriber not found"), ("ZZ", "reject reason ZZ")],
)
def test_rejection_reasons(code, reason):
    response = parse_271(subscriber_271().replace("EB*1**35", f"AAA*N**{code}*C"))

    assert response.rejections[0].reason == reason


def test_inactive_coverage():
    response = parse_271(subscriber_271("EB*6**35"))

    assert (response.active, response.inactive_reason) == (False, "coverage inactive")


def test_benefits_of_a_dependent_belong_to_the_dependent_level():
    response = parse_271(
        interchange_271(
            *PAYER_AND_PROVIDER,
            "HL*3*2*22*1",
            "NM1*IL*1*DOE*JANE****MI*W123456789",
            "REF*6P*G100200*ACME CORP DENTAL PPO",
            "DTP*346*D8*20250101",
            "HL*4*3*23*0",
            "TRN*2*930000002*1987654321",
            "NM1*03*1*DOE*JIMMY",
            "DMG*D8*20140602*M",
            "EB*1**35",
            "EB*A*IND*41*****0",
        )
    )

    assert response.benefits_level == "dependent"
    assert response.dependent == Member("DOE", "JIMMY", "", date(2014, 6, 2), "M")
    assert response.trace_number == "930000002"
    assert response.group_number == "G100200"  # from the subscriber
    assert response.plan_begin == date(2025, 1, 1)
    assert response.active is True
    assert response.benefits.coverage == (Coverage("category:preventive", 100),)


@pytest.mark.parametrize(
    ("network", "in_network"),
    [("Y", True), ("W", True), ("U", True), ("", True), ("N", False)],
)
def test_network_indicator(network, in_network):
    response = parse_271(subscriber_271(f"EB*A*IND*25*****.2****{network}"))

    rows = (response.benefits if in_network else response.out_of_network).coverage
    other = (response.out_of_network if in_network else response.benefits).coverage
    assert (rows, other) == ((Coverage("category:restorative", 80),), ())


@pytest.mark.parametrize(
    ("share", "inverted", "percent"),
    [
        (".2", False, 80),
        ("0", False, 100),
        ("1", False, 0),
        (".35", False, 65),
        ("0.50", False, 50),
        (".8", True, 80),
        ("1", True, 100),
    ],
)
def test_percent(share, inverted, percent):
    response = parse_271(subscriber_271(f"EB*A*IND*25*****{share}"), coinsurance_inverted=inverted)

    assert response.benefits.coverage == (Coverage("category:restorative", percent),)


@given(share=st.decimals(min_value=0, max_value=1, places=2))
def test_plan_and_patient_shares_add_up_to_100(share):
    text = subscriber_271(f"EB*A*IND*25*****{share}")

    plan = parse_271(text).benefits.coverage[0].percent
    inverted = parse_271(text, coinsurance_inverted=True).benefits.coverage[0].percent

    assert plan + inverted == 100


@pytest.mark.parametrize(
    ("hsd", "frequency"),
    [
        ("HSD*VS*2***22", Frequency("code:D1110", 2, "benefit_year")),
        ("HSD*VS*2***23", Frequency("code:D1110", 2, "calendar_year")),
        ("HSD*VS*1***34*6", Frequency("code:D1110", 1, "months:6")),
        ("HSD*VS*1***34*12", Frequency("code:D1110", 1, "months:12")),
        ("HSD*VS*1***21*5", Frequency("code:D1110", 1, "years:5")),
        ("HSD*FL*3***22*1", Frequency("code:D1110", 3, "benefit_year")),
    ],
)
def test_frequency_periods(hsd, frequency):
    response = parse_271(subscriber_271("EB*F*IND*41**********AD:D1110", hsd))

    assert response.benefits.frequencies == (frequency,)


@pytest.mark.parametrize(
    "hsd", ["HSD*VS*1***27", "HSD*VS*2***22*2", "HSD*DY*1***22", "HSD*VS****22"]
)
def test_frequencies_the_engine_cannot_count_stay_as_text(hsd):
    response = parse_271(subscriber_271("EB*F*IND*41**********AD:D1110", hsd))

    assert response.benefits.frequencies == ()
    [unmapped] = response.benefits.unmapped
    assert (unmapped.label, unmapped.reason) == ("D1110", "a frequency the estimate cannot count")


@pytest.mark.parametrize(
    ("service_type", "label"),
    [("30", "health benefit plan coverage"), ("37", "dental accident"), ("7", "anesthesia")],
)
def test_service_types_without_a_category_are_kept_with_a_label(service_type, label):
    response = parse_271(subscriber_271(f"EB*A*IND*{service_type}^25*****.2"))

    assert response.benefits.coverage == (Coverage("category:restorative", 80),)
    [unmapped] = response.benefits.unmapped
    assert (unmapped.service_type, unmapped.label) == (service_type, label)
    assert unmapped.reason == "a service type without an estimate category"


def test_remaining_without_its_limit_is_kept_as_text():
    response = parse_271(subscriber_271("EB*F*IND*35***29*300.00"))

    assert response.benefits.used == ()
    [unmapped] = response.benefits.unmapped
    assert (unmapped.label, unmapped.detail) == (
        "dental care",
        "limitation, individual, $300.00, remaining",
    )
    assert unmapped.reason == "a remaining amount without its limit"


def test_year_to_date_is_used_directly_and_family_levels_are_kept():
    response = parse_271(
        subscriber_271("EB*C*FAM*35***22*150.00", "EB*C*FAM*35***24*60.00", "EB*C*FAM*35***29*1.00")
    )

    assert response.benefits.used == (
        UsedBenefit("deductible", "general", "family", "benefit_year", Decimal("150"), 60),
    )


def test_copays_and_code_level_coverage_and_exclusions_by_category():
    response = parse_271(
        subscriber_271(
            "EB*B*IND*25****25.00",
            "EB*A*IND*25*****.5*****AD:D2740",
            "EB*E*IND*38",
            "EB*R**35",
            "LS*2120",
            "NM1*PRP*2*OTHER DENTAL CO*****PI*55555",
            "PER*IC**TE*8005550111*FX*8005550112",
            "LE*2120",
        )
    )

    assert response.benefits.coverage == (Coverage("code:D2740", 50),)
    assert response.benefits.exclusions == (Exclusion("category:orthodontics"),)
    assert response.benefits.unmapped[0].reason == "not a benefit the estimate uses"
    assert response.other_payers == (
        Contact(("35",), "PRP", "OTHER DENTAL CO", "55555", "8005550111"),
    )


def test_a_waiting_period_counts_whole_months_from_the_coverage_begin():
    response = parse_271(
        subscriber_271("EB*A*IND*36*****.5", "DTP*348*D8*20250816", "EB*A*IND*39*****.5")
    )
    more = parse_271(subscriber_271("EB*A*IND*36*****.5", "DTP*348*D8*20250815"))
    covered = parse_271(subscriber_271("EB*A*IND*36*****.5", "DTP*348*D8*20240801"))

    # From 2024-09-01: 11 months 15 days is 12 months, 11 months 14 days is 11.
    assert response.benefits.waiting_periods == (
        WaitingPeriod("category:crowns", 12, date(2025, 8, 16)),
    )
    assert more.benefits.waiting_periods[0].months == 11
    assert covered.benefits.waiting_periods == ()


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        (
            ["EB*A*IND*25^24^26^40*****.2x****Y"],
            'segment 14 (EB): EB08 ".2x" is not a decimal',
        ),
        (["EB*A*IND*25*****1.5"], 'segment 14 (EB): EB08 "1.5" is not a fraction from 0 to 1'),
        (["EB*A*IND*25*****-.2"], 'segment 14 (EB): EB08 "-.2" is not a fraction from 0 to 1'),
        (
            ["EB*F*IND*41**********AD:D1110", "HSD*VS*1***34"],
            "segment 15 (HSD): HSD06 number of periods is missing for HSD05 34",
        ),
        (
            ["EB*F*IND*36", "HSD*VS*1***21"],
            "segment 15 (HSD): HSD06 number of periods is missing for HSD05 21",
        ),
        (["EB*F*IND*35***23*1,500.00"], 'segment 14 (EB): EB07 "1,500.00" is not a decimal'),
        (["EB*F*IND*35***23*-5"], 'segment 14 (EB): EB07 "-5" is not an amount in cents'),
        (["EB*F*IND*35***23*5.005"], 'segment 14 (EB): EB07 "5.005" is not an amount in cents'),
        (["EB*A*IND*25*****.2****X"], 'segment 14 (EB): EB12 network "X" is not Y, N, U or W'),
        (["EB*F*IND*41**********AD:D11"], 'segment 14 (EB): EB13 "AD:D11" is not a CDT code'),
        (["EB*F*IND*38******S7"], "segment 14 (EB): EB10 age is missing"),
        (["EB*F*IND*38******S7*nine"], 'segment 14 (EB): EB10 "nine" is not a decimal'),
        (
            ["EB*A*IND*36*****.5", "DTP*348*D8*20251301"],
            'segment 15 (DTP): DTP03 "20251301" is not a date (CCYYMMDD)',
        ),
        (["EB*U**35", "LS*2120", "NM1*VN*2*X"], "segment 15 (LS): LS without its LE"),
        (["EB*U**35", "LE*2120"], "segment 15 (LE): LE without an LS"),
    ],
)
def test_malformed_benefits_name_the_segment(segments, message):
    # The subscriber_271 helper puts EB*1 at segment 13, so these start at 14.
    with pytest.raises(X12Error) as raised:
        parse_271(subscriber_271(*segments))

    assert message in str(raised.value)


def test_a_message_before_any_eb_is_refused():
    text = replaced(SAMPLE_271, "DTP*356*D8*20240901~", "MSG*TOO EARLY~")

    with pytest.raises(X12Error, match=r"segment 18 \(MSG\): MSG before any EB"):
        parse_271(text)
