"""The 270 inquiry: the sample reproduced, read back, dependents, and refused values."""

import dataclasses
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insurance.x12 import Dependent, EligibilityRequest, X12Error, build_270, parse_270
from tests.insurance.x12.x12_text import SAMPLE_270, replaced

JANE = EligibilityRequest(
    sender_id="SMILEDENTAL01",
    receiver_id="EXDENTALPAYER",
    interchange_control_number=101,
    group_control_number=101,
    transaction_set_control_number=1,
    created=datetime.fromisoformat("2025-01-15T09:30"),
    submitter_transaction_id="TRACE0001",
    trace_number="930000001",
    trace_originator_id="1987654321",
    payer_name="Example Dental Plan",
    payer_id="99999",
    provider_name="Smile Dental Group",
    provider_npi="1234567893",
    subscriber_last_name="Doe",
    subscriber_first_name="Jane",
    member_id="W123456789",
    subscriber_birth_date=date(1985, 4, 12),
    subscriber_gender="F",
    service_date=date(2025, 1, 15),
)
JIMMY = Dependent(last_name="Doe", first_name="Jimmy", birth_date=date(2014, 6, 2), gender="M")


def test_the_sample_inquiry_is_reproduced_byte_for_byte():
    assert build_270(JANE, line_breaks=True) == SAMPLE_270
    assert build_270(JANE) == SAMPLE_270.replace("\n", "")


def test_the_sample_inquiry_reads_back_into_the_request():
    assert parse_270(SAMPLE_270) == JANE


def test_names_are_kept_in_capitals():
    assert (JANE.subscriber_last_name, JANE.payer_name) == ("DOE", "EXAMPLE DENTAL PLAN")


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(JANE, id="subscriber"),
        pytest.param(dataclasses.replace(JANE, dependent=JIMMY), id="dependent"),
        pytest.param(
            dataclasses.replace(
                JANE,
                subscriber_gender="",
                subscriber_first_name="",
                service_types=["23", "41", "25"],
                usage="T",
                interchange_control_number=987654321,
                transaction_set_control_number=12345,
            ),
            id="blanks, several service types, test usage",
        ),
    ],
)
def test_round_trip(request_):
    assert parse_270(build_270(request_)) == request_


def test_a_dependent_inquiry_has_its_own_level():
    lines = build_270(dataclasses.replace(JANE, dependent=JIMMY), line_breaks=True).splitlines()

    assert lines[8:17] == [
        "HL*3*2*22*1~",
        "NM1*IL*1*DOE*JANE****MI*W123456789~",
        "DMG*D8*19850412*F~",
        "HL*4*3*23*0~",
        "TRN*1*930000001*1987654321~",
        "NM1*03*1*DOE*JIMMY~",
        "DMG*D8*20140602*M~",
        "DTP*291*D8*20250115~",
        "EQ*35~",
    ]
    assert lines[17] == "SE*16*0001~"


def test_the_time_is_kept_to_the_minute_without_a_zone():
    request = dataclasses.replace(JANE, created=datetime.fromisoformat("2025-01-15T09:30:59+02:00"))

    assert request.created == datetime.fromisoformat("2025-01-15T09:30")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subscriber_last_name": "O*BRIEN"}, 'subscriber_last_name "O*BRIEN" contains "*"'),
        ({"subscriber_first_name": "JANE~"}, 'subscriber_first_name "JANE~" contains "~"'),
        ({"payer_name": "DELTA^DENTAL"}, 'payer_name "DELTA^DENTAL" contains "^"'),
        ({"provider_name": "SMILE: DENTAL"}, 'provider_name "SMILE: DENTAL" contains ":"'),
        ({"member_id": "W12\n3"}, "member_id 'W12\\n3' contains a control character"),
        ({"subscriber_last_name": "  "}, "subscriber_last_name is required"),
        ({"sender_id": "A-SENDER-ID-OF-20-CH"}, "is longer than 15 characters"),
        ({"provider_npi": "123456789"}, 'provider_npi "123456789" is not 10 digits'),
        ({"trace_originator_id": "198765432"}, "is not 10 characters"),
        ({"subscriber_gender": "X"}, 'subscriber_gender "X" is not F, M, U or blank'),
        ({"interchange_control_number": 0}, "interchange_control_number 0 is not 1 to"),
        ({"service_types": []}, "service_types is empty"),
        ({"service_types": ["35", "D2740"]}, 'service type "D2740" is not'),
        ({"usage": "X"}, 'usage "X" is not P or T'),
    ],
)
def test_values_that_cannot_stand_in_an_element_are_refused(change, message):
    with pytest.raises(X12Error, match=None) as raised:
        dataclasses.replace(JANE, **change)

    assert message in str(raised.value)


def test_a_dependent_name_with_a_delimiter_is_refused():
    with pytest.raises(X12Error, match='dependent last_name "Doe\\*Smith" contains'):
        Dependent(last_name="Doe*Smith", first_name="Jim", birth_date=date(2014, 6, 2))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("EQ*35~\n", "", "segment 9 (HL): the patient level has no EQ"),
        ("EQ*35", "EQ**AD:D2740", "segment 14 (EQ): EQ01 service type is missing"),
        ("DMG*D8*19850412*F", "DMG*D8*19851312*F", 'DMG02 "19851312" is not a date'),
        ("DTP*291*D8*20250115", "DTP*291*DT*20250115", 'DTP02 date format "DT" is not D8'),
        ("NM1*IL*", "NM1*QC*", "segment 9 (HL): level 22 has no NM1*IL"),
        ("BHT*0022*13*TRACE0001*20250115*0930", "BHT*0022*13*TRACE0001*20250115*93", "BHT05"),
        (
            "NM1*1P*2*SMILE DENTAL GROUP*****XX*1234567893",
            "NM1*1P*2*SMILE DENTAL GROUP*****XX*123",
            'segment 3 (ST): not a valid request: provider_npi "123" is not 10 digits',
        ),
    ],
)
def test_a_malformed_270_names_the_segment(old, new, message):
    text = replaced(SAMPLE_270, old, new)
    if old == "EQ*35~\n":
        text = replaced(text, "SE*13*", "SE*12*")

    with pytest.raises(X12Error) as raised:
        parse_270(text)

    assert message in str(raised.value)


names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-' .", min_size=1, max_size=35).filter(
    str.strip
)


@given(
    last_name=names,
    first_name=names,
    member_id=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=20),
    birth_date=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 1, 15)),
    control_number=st.integers(min_value=1, max_value=999_999_999),
    dependent=st.booleans(),
)
def test_any_valid_request_round_trips(
    last_name, first_name, member_id, birth_date, control_number, dependent
):
    request = dataclasses.replace(
        JANE,
        subscriber_last_name=last_name,
        subscriber_first_name=first_name,
        member_id=member_id,
        subscriber_birth_date=birth_date,
        interchange_control_number=control_number,
        transaction_set_control_number=control_number,
        dependent=Dependent(last_name, first_name, birth_date) if dependent else None,
    )

    assert parse_270(build_270(request)) == request
