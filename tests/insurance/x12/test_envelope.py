"""Reading the envelope: delimiters from the ISA, counts and control numbers, versions."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insurance.x12 import X12Error, parse_270, parse_271
from tests.insurance.x12.x12_text import SAMPLE_270, SAMPLE_271, interchange_271, replaced

ISA_271 = SAMPLE_271.splitlines()[0]


def test_line_breaks_and_crlf_after_the_terminator_are_tolerated():
    one_line = SAMPLE_271.replace("\n", "")
    crlf = SAMPLE_271.replace("\n", "\r\n")

    assert parse_271(one_line) == parse_271(SAMPLE_271) == parse_271(crlf)


def test_delimiters_come_from_the_isa():
    # Same interchange written with | for elements, ! for repetitions, > for components.
    other = SAMPLE_271.replace("*", "|").replace("^", "!").replace(":", ">")

    response = parse_271(other)

    assert response.covered_service_types == parse_271(SAMPLE_271).covered_service_types
    assert response.benefits.frequencies[0].scope == "code:D1110"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            SAMPLE_271[:60],
            "segment 1 (ISA): ISA is truncated: 60 of 106 characters",
            id="truncated ISA",
        ),
        pytest.param(
            SAMPLE_271.replace("SMILEDENTAL01  *250115", "SMILEDENTAL01*250115"),
            (
                'segment 1 (ISA): ISA08 "SMILEDENTAL01" is 13 characters, expected 15 '
                "(ISA is 106 characters)"
            ),
            id="ISA field not padded",
        ),
        pytest.param(
            "GS*HB*EXDENTALPAYER~",
            "segment 1: an interchange starts with ISA",
            id="no ISA",
        ),
        pytest.param(
            replaced(SAMPLE_271, "*0931*^*00501", "*0931*U*00501"),
            'segment 1 (ISA): repetition separator (ISA11) "U" is not a delimiter',
            id="4010 repetition separator",
        ),
        pytest.param(
            replaced(SAMPLE_271, "*P*:~", "*P*:G"),
            'segment 1 (ISA): segment terminator (after ISA16) "G" is not a delimiter',
            id="no terminator after ISA16",
        ),
        pytest.param(
            replaced(SAMPLE_271, "*P*:~", "*P**~"),
            "segment 1 (ISA): the four delimiters are not all different",
            id="component separator equals element separator",
        ),
        pytest.param(
            replaced(SAMPLE_271, "GS*HB*", "GS|HB|"),
            'segment 2: "GS|HB|EXDENTALPAYER" is not a segment id',
            id="undeclared delimiter",
        ),
        pytest.param(
            replaced(SAMPLE_271, "SE*66*", "SE*65*"),
            "segment 68 (SE): segment count 65 does not match 66 segments",
            id="wrong SE count",
        ),
        pytest.param(
            replaced(SAMPLE_271, "SE*66*0001", "SE*66*0002"),
            'segment 68 (SE): SE02 control number "0002" does not match ST02 "0001"',
            id="SE control number",
        ),
        pytest.param(
            replaced(SAMPLE_271, "GE*1*202", "GE*2*202"),
            "segment 69 (GE): transaction set count 2 does not match 1 transaction set",
            id="GE count",
        ),
        pytest.param(
            replaced(SAMPLE_271, "GE*1*202", "GE*1*203"),
            'segment 69 (GE): GE02 control number "203" does not match GS06 "202"',
            id="GE control number",
        ),
        pytest.param(
            replaced(SAMPLE_271, "IEA*1*000000202", "IEA*1*000000999"),
            'segment 70 (IEA): IEA02 control number "000000999" does not match ISA13 "000000202"',
            id="IEA control number",
        ),
        pytest.param(
            replaced(SAMPLE_271, "IEA*1*000000202~\n", ""),
            "segment 69 (GE): the interchange ends without IEA",
            id="missing IEA",
        ),
        pytest.param(
            SAMPLE_271 + "ISA*00~",
            "segment 71 (ISA): segment after IEA",
            id="data after IEA",
        ),
        pytest.param(
            replaced(SAMPLE_271, "202*X*005010X279A1", "202*X*004010X092A1"),
            'segment 2 (GS): GS08 version "004010X092A1" is not 005010X279A1',
            id="4010 group version",
        ),
        pytest.param(
            replaced(SAMPLE_271, "ST*271*0001*005010X279A1", "ST*271*0001*004010X092A1"),
            'segment 3 (ST): ST03 version "004010X092A1" is not 005010X279A1',
            id="4010 transaction version",
        ),
        pytest.param(
            replaced(SAMPLE_271, "*00501*", "*00401*"),
            'segment 1 (ISA): ISA12 version "00401" is not 00501',
            id="4010 interchange version",
        ),
        pytest.param(
            SAMPLE_270,
            'segment 2 (GS): GS01 "HS" is not HB (a 271 group)',
            id="a 270 where a 271 is expected",
        ),
        pytest.param(
            replaced(SAMPLE_271, "BHT*0022*11*", "BHT*0022*13*"),
            'segment 4 (BHT): BHT01/BHT02 "0022/13" are not 0022/11',
            id="request purpose in a response",
        ),
        pytest.param(
            replaced(SAMPLE_271, "SE*66*0001~\n", "SE*66*0001~\nST*271*0002*005010X279A1~\n"),
            "segment 69 (ST): expected GE here",
            id="second transaction set",
        ),
        pytest.param(
            replaced(SAMPLE_271, "HL*3*2*22*0", "HL*3*2*99*0"),
            'segment 10 (HL): HL03 level "99" is not 20, 21, 22 or 23',
            id="unknown hierarchical level",
        ),
        pytest.param(
            replaced(SAMPLE_271, "HL*3*2*22*0", "HL*3*1*22*0"),
            'segment 10 (HL): HL02 parent "1" is not a level 22 can belong to',
            id="subscriber under the payer",
        ),
    ],
)
def test_malformed_envelopes_name_the_segment(text, message):
    with pytest.raises(X12Error) as raised:
        parse_271(text)

    assert str(raised.value) == message


def test_a_270_is_read_with_the_270_envelope():
    with pytest.raises(X12Error, match=r'segment 2 \(GS\): GS01 "HB" is not HS'):
        parse_270(SAMPLE_271)


def test_a_transaction_without_levels_is_refused():
    with pytest.raises(X12Error, match=r"segment 4 \(BHT\): the response has no payer level"):
        parse_271(interchange_271())


@given(
    position=st.integers(min_value=0, max_value=len(SAMPLE_271) - 1),
    character=st.sampled_from("*~^:\n0A.-"),
    delete=st.booleans(),
)
def test_a_corrupted_interchange_raises_nothing_but_x12_errors(position, character, delete):
    text = SAMPLE_271[:position] + ("" if delete else character) + SAMPLE_271[position + 1 :]

    with contextlib.suppress(X12Error):
        parse_271(text)
