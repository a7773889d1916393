"""Reading X12 5010 interchanges: delimiters, segments, envelope and hierarchy checks (pure).

Segments are numbered from 1 (the ISA) through the whole interchange, so that an error names
the place a person finds when counting segments in the file.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

VERSION = "005010X279A1"
ISA_VERSION = "00501"
ISA_LENGTH = 106
# ISA01..ISA15 are fixed-width (ISA16 is one character), which is how the delimiters are found.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1)
FUNCTIONAL_GROUP = {"270": "HS", "271": "HB"}
BHT_PURPOSE = {"270": "13", "271": "11"}  # request, response
HIERARCHY_PARENTS = {"20": None, "21": "20", "22": "21", "23": "22"}

_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


class X12Error(ValueError):
    """Malformed or unsupported X12; the message names the segment where it was found."""


@dataclass(frozen=True)
class Delimiters:
    element: str
    repetition: str
    component: str
    segment: str


@dataclass(frozen=True)
class Segment:
    """One segment: `segment[3]` is its third element (EB03), '' when absent."""

    position: int
    elements: tuple[str, ...]
    delimiters: Delimiters = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.elements[0]

    def __getitem__(self, number: int) -> str:
        return self.elements[number] if number < len(self.elements) else ""

    def error(self, message: str) -> X12Error:
        return X12Error(f"segment {self.position} ({self.id}): {message}")

    def name(self, number: int) -> str:
        return f"{self.id}{number:02d}"

    def required(self, number: int) -> str:
        if not self[number]:
            raise self.error(f"{self.name(number)} is missing")
        return self[number]

    def repeats(self, number: int) -> tuple[str, ...]:
        return tuple(value for value in self[number].split(self.delimiters.repetition) if value)

    def components(self, number: int) -> tuple[str, ...]:
        return tuple(self[number].split(self.delimiters.component)) if self[number] else ()

    def decimal(self, number: int) -> Decimal | None:
        value = self[number]
        if not value:
            return None
        if not _DECIMAL.fullmatch(value):
            raise self.error(f'{self.name(number)} "{value}" is not a decimal')
        return Decimal(value)

    def money(self, number: int) -> Decimal | None:
        amount = self.decimal(number)
        if amount is not None and (amount < 0 or amount.as_tuple().exponent < -2):
            raise self.error(f'{self.name(number)} "{self[number]}" is not an amount in cents')
        return None if amount is None else amount.quantize(Decimal("0.01"))

    def whole_number(self, number: int) -> int | None:
        value = self.decimal(number)
        if value is not None and (value < 0 or value != value.to_integral_value()):
            raise self.error(f'{self.name(number)} "{self[number]}" is not a whole number')
        return None if value is None else int(value)

    def read_date(self, number: int) -> date:
        return self.as_date(number, self.required(number))

    def as_date(self, number: int, value: str) -> date:
        """`value` (element `number`, or part of it) as a CCYYMMDD date."""
        try:
            if not value.isdigit() or len(value) != 8:
                raise ValueError
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            raise self.error(f'{self.name(number)} "{value}" is not a date (CCYYMMDD)') from None


def dtp_dates(segment: Segment) -> tuple[date, date | None]:
    """A DTP's date (D8) or range (RD8) as (start, end); end is None for a single date."""
    value = segment.required(3)
    if segment[2] == "D8":
        return segment.as_date(3, value), None
    if segment[2] == "RD8":
        start, _, end = value.partition("-")
        return segment.as_date(3, start), segment.as_date(3, end)
    raise segment.error(f'DTP02 date format "{segment[2]}" is not D8 or RD8')


def dmg_birth_date(dmg: Segment) -> date:
    if dmg[1] != "D8":
        raise dmg.error(f'DMG01 date format "{dmg[1]}" is not D8')
    return dmg.read_date(2)


@dataclass(frozen=True)
class Interchange:
    """An interchange holding one functional group with one transaction set."""

    isa: Segment
    gs: Segment
    st: Segment
    bht: Segment
    body: tuple[Segment, ...]  # after BHT, up to SE


@dataclass(frozen=True)
class Level:
    """One HL level and the segments up to the next HL."""

    hl: Segment
    code: str
    segments: tuple[Segment, ...]


def read_interchange(text: str, transaction_set: str) -> Interchange:
    """Split and check the envelope of a 270 or 271 (`transaction_set`)."""
    segments = _split(text)
    isa = segments[0]
    _check_isa(isa)
    gs = _expect(segments, 1, "GS")
    st = _expect(segments, 2, "ST")
    se_index = next((i for i, s in enumerate(segments) if s.id == "SE"), None)
    if se_index is None:
        raise segments[-1].error("the transaction set has no SE")
    se = segments[se_index]
    ge = _expect(segments, se_index + 1, "GE")
    iea = _expect(segments, se_index + 2, "IEA")
    if len(segments) > se_index + 3:
        raise segments[se_index + 3].error("segment after IEA")

    expected_group = FUNCTIONAL_GROUP[transaction_set]
    if gs[1] != expected_group:
        raise gs.error(f'GS01 "{gs[1]}" is not {expected_group} (a {transaction_set} group)')
    if gs[8] != VERSION:
        raise gs.error(f'GS08 version "{gs[8]}" is not {VERSION}')
    if st[1] != transaction_set:
        raise st.error(f'ST01 "{st[1]}" is not {transaction_set}')
    if st[3] != VERSION:
        raise st.error(f'ST03 version "{st[3]}" is not {VERSION}')

    segment_count = se_index - 1  # ST (index 2) through SE
    if se.whole_number(1) != segment_count:
        raise se.error(f"segment count {se[1]} does not match {segment_count} segments")
    _check_control(se, 2, st, 2)
    if ge.whole_number(1) != 1:
        raise ge.error(f"transaction set count {ge[1]} does not match 1 transaction set")
    _check_control(ge, 2, gs, 6)
    if iea.whole_number(1) != 1:
        raise iea.error(f"group count {iea[1]} does not match 1 functional group")
    _check_control(iea, 2, isa, 13)

    bht = _expect(segments, 3, "BHT")
    purpose = BHT_PURPOSE[transaction_set]
    if bht[1] != "0022" or bht[2] != purpose:
        raise bht.error(f'BHT01/BHT02 "{bht[1]}/{bht[2]}" are not 0022/{purpose}')
    return Interchange(isa=isa, gs=gs, st=st, bht=bht, body=tuple(segments[4:se_index]))


def find(segments: tuple[Segment, ...], segment_id: str, qualifier: str = "") -> Segment | None:
    """The first segment with this id (and first element, when a qualifier is given)."""
    return next(
        (s for s in segments if s.id == segment_id and (not qualifier or s[1] == qualifier)), None
    )


def hierarchical_levels(segments: tuple[Segment, ...]) -> dict[str, Level]:
    """The HL levels by level code (20 payer … 23 dependent), at most one of each."""
    levels: dict[str, Level] = {}
    codes_by_id: dict[str, str] = {}
    for index, segment in enumerate(segments):
        if segment.id != "HL":
            if not levels:
                raise segment.error("segment before the first HL")
            continue
        code = segment[3]
        if code not in HIERARCHY_PARENTS:
            raise segment.error(f'HL03 level "{code}" is not 20, 21, 22 or 23')
        if codes_by_id.get(segment[2]) != HIERARCHY_PARENTS[code]:
            raise segment.error(f'HL02 parent "{segment[2]}" is not a level {code} can belong to')
        if segment.required(1) in codes_by_id:
            raise segment.error(f'HL01 "{segment[1]}" is used twice')
        if code in levels:
            raise segment.error(f"a second level {code}: one patient per transaction is read")
        codes_by_id[segment[1]] = code
        end = next((i for i in range(index + 1, len(segments)) if segments[i].id == "HL"), None)
        levels[code] = Level(hl=segment, code=code, segments=segments[index + 1 : end])
    return levels


def _split(text: str) -> list[Segment]:
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA"):
        raise X12Error("segment 1: an interchange starts with ISA")
    delimiters = _isa_delimiters(text)
    segments = []
    for raw in text.split(delimiters.segment):
        # Line breaks after the terminator are for people reading the file.
        raw = raw.strip("\r\n")
        if not raw:
            continue
        position = len(segments) + 1
        elements = tuple(raw.split(delimiters.element))
        if not _SEGMENT_ID.fullmatch(elements[0]):
            raise X12Error(f'segment {position}: "{elements[0][:20]}" is not a segment id')
        segments.append(Segment(position, elements, delimiters))
    return segments


def _isa_delimiters(text: str) -> Delimiters:
    element = text[3:4]
    pieces = text.split(element, 16) if element else []
    if len(text) < ISA_LENGTH:
        raise X12Error(f"segment 1 (ISA): ISA is truncated: {len(text)} of 106 characters")
    if len(pieces) < 17 or len(pieces[16]) < 2:
        raise X12Error("segment 1 (ISA): ISA has fewer than 16 elements")
    for number, (piece, width) in enumerate(zip(pieces[1:16], ISA_WIDTHS, strict=True), start=1):
        if len(piece) != width:
            shown = piece[:20].replace("\n", " ")
            raise X12Error(
                f'segment 1 (ISA): ISA{number:02d} "{shown}" is {len(piece)} characters, '
                f"expected {width} (ISA is 106 characters)"
            )
    delimiters = Delimiters(
        element=element, repetition=pieces[11], component=pieces[16][0], segment=pieces[16][1]
    )
    roles = {
        "element separator (ISA character 4)": delimiters.element,
        "repetition separator (ISA11)": delimiters.repetition,
        "component separator (ISA16)": delimiters.component,
        "segment terminator (after ISA16)": delimiters.segment,
    }
    for role, value in roles.items():
        if value.isalnum() or value == " ":
            raise X12Error(f'segment 1 (ISA): {role} "{value}" is not a delimiter')
    if len(set(roles.values())) < len(roles):
        raise X12Error("segment 1 (ISA): the four delimiters are not all different")
    return delimiters


def _check_isa(isa: Segment) -> None:
    if isa[12] != ISA_VERSION:
        raise isa.error(f'ISA12 version "{isa[12]}" is not {ISA_VERSION}')
    if not isa[13].isdigit():
        raise isa.error(f'ISA13 control number "{isa[13]}" is not numeric')
    if isa[15] not in ("P", "T"):
        raise isa.error(f'ISA15 usage "{isa[15]}" is not P or T')


def _expect(segments: list[Segment], index: int, segment_id: str) -> Segment:
    if index >= len(segments):
        raise segments[-1].error(f"the interchange ends without {segment_id}")
    if segments[index].id != segment_id:
        raise segments[index].error(f"expected {segment_id} here")
    return segments[index]


def _check_control(trailer: Segment, number: int, header: Segment, header_number: int) -> None:
    if trailer[number] != header[header_number]:
        raise trailer.error(
            f'{trailer.name(number)} control number "{trailer[number]}" does not match '
            f'{header.name(header_number)} "{header[header_number]}"'
        )
