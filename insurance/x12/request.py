"""The 270 eligibility inquiry: written from an `EligibilityRequest` and read back into one.

What we write uses the delimiters every clearinghouse accepts: `*` `^` `:` and `~`; values
containing any of them are refused rather than escaped (X12 has no escaping).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from insurance.x12.segments import (
    ISA_VERSION,
    VERSION,
    Level,
    Segment,
    X12Error,
    dmg_birth_date,
    dtp_dates,
    find,
    hierarchical_levels,
    read_interchange,
)

GENDERS = ("F", "M", "U", "")
MAX_CONTROL_NUMBER = 999_999_999


def _cleaned(label: str, value: str, *, max_length: int, required: bool = True) -> str:
    """A value that can stand in one element: trimmed, without delimiters or control codes."""
    value = value.strip()
    if required and not value:
        raise X12Error(f"{label} is required")
    for character in value:
        if character in "*~^:":
            raise X12Error(f'{label} "{value}" contains "{character}", an X12 delimiter')
        if not character.isprintable():
            raise X12Error(f"{label} {value!r} contains a control character")
    if len(value) > max_length:
        raise X12Error(f'{label} "{value}" is longer than {max_length} characters')
    return value


def _name(label: str, value: str, *, max_length: int, required: bool = True) -> str:
    # Payers match names in capitals, as X12 senders usually write them.
    return _cleaned(label, value, max_length=max_length, required=required).upper()


def _check_gender(label: str, gender: str) -> None:
    if gender not in GENDERS:
        raise X12Error(f'{label} "{gender}" is not F, M, U or blank')


@dataclass(frozen=True)
class Dependent:
    """The patient, when it is not the subscriber (loop 2000D)."""

    last_name: str
    first_name: str
    birth_date: date
    gender: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "last_name", _name("dependent last_name", self.last_name, max_length=60)
        )
        object.__setattr__(
            self,
            "first_name",
            _name("dependent first_name", self.first_name, max_length=35, required=False),
        )
        _check_gender("dependent gender", self.gender)


@dataclass(frozen=True)
class EligibilityRequest:
    """One patient's eligibility inquiry to one payer. Names are kept in capitals."""

    sender_id: str  # ISA06 / GS02
    receiver_id: str  # ISA08 / GS03
    interchange_control_number: int  # ISA13
    group_control_number: int  # GS06
    transaction_set_control_number: int  # ST02
    created: datetime  # wall-clock time written in the envelope, to the minute
    submitter_transaction_id: str  # BHT03
    trace_number: str  # TRN02, echoed back in the 271
    trace_originator_id: str  # TRN03: "1" and the EIN of whoever assigned the trace number
    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    subscriber_last_name: str
    subscriber_first_name: str
    member_id: str
    subscriber_birth_date: date
    service_date: date
    subscriber_gender: str = ""
    dependent: Dependent | None = None
    service_types: tuple[str, ...] = ("35",)
    usage: str = "P"  # ISA15: P production, T test

    def __post_init__(self) -> None:
        for label, max_length in (
            ("sender_id", 15),
            ("receiver_id", 15),
            ("submitter_transaction_id", 50),
            ("trace_number", 50),
            ("payer_id", 80),
            ("member_id", 80),
        ):
            self._set(label, _cleaned(label, getattr(self, label), max_length=max_length))
        for label, max_length, required in (
            ("payer_name", 60, True),
            ("provider_name", 60, True),
            ("subscriber_last_name", 60, True),
            ("subscriber_first_name", 35, False),
        ):
            value = getattr(self, label)
            self._set(label, _name(label, value, max_length=max_length, required=required))
        for label in (
            "interchange_control_number",
            "group_control_number",
            "transaction_set_control_number",
        ):
            if not 1 <= getattr(self, label) <= MAX_CONTROL_NUMBER:
                raise X12Error(f"{label} {getattr(self, label)} is not 1 to {MAX_CONTROL_NUMBER}")
        if len(self.trace_originator_id) != 10 or not self.trace_originator_id.isalnum():
            raise X12Error(f'trace_originator_id "{self.trace_originator_id}" is not 10 characters')
        if len(self.provider_npi) != 10 or not self.provider_npi.isdigit():
            raise X12Error(f'provider_npi "{self.provider_npi}" is not 10 digits')
        _check_gender("subscriber_gender", self.subscriber_gender)
        self._set("service_types", tuple(self.service_types))
        if not self.service_types:
            raise X12Error("service_types is empty")
        for code in self.service_types:
            if not (code.isalnum() and 1 <= len(code) <= 2):
                raise X12Error(f'service type "{code}" is not an X12 service type code')
        if self.usage not in ("P", "T"):
            raise X12Error(f'usage "{self.usage}" is not P or T')
        # X12 carries no time zone and no seconds: keep what the interchange can say.
        self._set("created", self.created.replace(second=0, microsecond=0, tzinfo=None))

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)


def build_270(request: EligibilityRequest, *, line_breaks: bool = False) -> str:
    """The 270 interchange; `line_breaks` puts each segment on its own line."""
    r = request
    control = f"{r.transaction_set_control_number:04d}"
    day, minute = f"{r.created:%Y%m%d}", f"{r.created:%H%M}"
    transaction = [
        f"ST*270*{control}*{VERSION}",
        f"BHT*0022*13*{r.submitter_transaction_id}*{day}*{minute}",
        "HL*1**20*1",
        f"NM1*PR*2*{r.payer_name}*****PI*{r.payer_id}",
        "HL*2*1*21*1",
        f"NM1*1P*2*{r.provider_name}*****XX*{r.provider_npi}",
        f"HL*3*2*22*{0 if r.dependent is None else 1}",
    ]
    # The trace number, service date and inquiry belong to the patient's level.
    trace = f"TRN*1*{r.trace_number}*{r.trace_originator_id}"
    inquiry = [f"DTP*291*D8*{r.service_date:%Y%m%d}", f"EQ*{'^'.join(r.service_types)}"]
    subscriber = [
        f"NM1*IL*1*{r.subscriber_last_name}*{r.subscriber_first_name}****MI*{r.member_id}",
        f"DMG*D8*{r.subscriber_birth_date:%Y%m%d}*{r.subscriber_gender}",
    ]
    if r.dependent is None:
        transaction += [trace, *subscriber, *inquiry]
    else:
        d = r.dependent
        transaction += [
            *subscriber,
            "HL*4*3*23*0",
            trace,
            f"NM1*03*1*{d.last_name}*{d.first_name}",
            f"DMG*D8*{d.birth_date:%Y%m%d}*{d.gender}",
            *inquiry,
        ]
    transaction.append(f"SE*{len(transaction) + 1}*{control}")

    interchange = f"{r.interchange_control_number:09d}"
    group = r.group_control_number
    segments = [
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{r.sender_id:<15}*ZZ*{r.receiver_id:<15}"
        f"*{r.created:%y%m%d}*{minute}*^*{ISA_VERSION}*{interchange}*0*{r.usage}*:",
        f"GS*HS*{r.sender_id}*{r.receiver_id}*{day}*{minute}*{group}*X*{VERSION}",
        *transaction,
        f"GE*1*{group}",
        f"IEA*1*{interchange}",
    ]
    terminator = "~\n" if line_breaks else "~"
    # X12 leaves out trailing empty elements (a blank gender ends DMG at the date).
    return "".join(segment.rstrip("*") + terminator for segment in segments)


def parse_270(text: str) -> EligibilityRequest:
    """Read a 270 (one patient) back into the request it was built from."""
    interchange = read_interchange(text, "270")
    isa, bht = interchange.isa, interchange.bht
    levels = hierarchical_levels(interchange.body)
    for code, what in (("20", "payer"), ("21", "provider"), ("22", "subscriber")):
        if code not in levels:
            raise bht.error(f"the request has no {what} level (HL*{code})")
    payer = _required(levels["20"], "NM1", "PR")
    provider = _required(levels["21"], "NM1", "1P")
    subscriber = _required(levels["22"], "NM1", "IL")
    subscriber_dmg = _required(levels["22"], "DMG")
    patient = levels.get("23", levels["22"])
    trace = _required(patient, "TRN")
    inquiries = [s for s in patient.segments if s.id == "EQ"]
    if not inquiries:
        raise patient.hl.error("the patient level has no EQ")
    # Every segment is read first, so that its own errors name it.
    values = {
        "sender_id": isa[6],
        "receiver_id": isa[8],
        "interchange_control_number": _control_number(isa, 13),
        "group_control_number": _control_number(interchange.gs, 6),
        "transaction_set_control_number": _control_number(interchange.st, 2),
        "created": datetime.combine(bht.read_date(4), _time(bht, 5)),
        "submitter_transaction_id": bht[3],
        "trace_number": trace[2],
        "trace_originator_id": trace[3],
        "payer_name": payer[3],
        "payer_id": payer[9],
        "provider_name": provider[3],
        "provider_npi": provider[9],
        "subscriber_last_name": subscriber[3],
        "subscriber_first_name": subscriber[4],
        "member_id": subscriber[9],
        "subscriber_birth_date": dmg_birth_date(subscriber_dmg),
        "subscriber_gender": subscriber_dmg[3],
        "service_date": dtp_dates(_required(patient, "DTP", "291"))[0],
        "service_types": tuple(code for eq in inquiries for code in _service_types(eq)),
        "usage": isa[15],
    }
    dependent_values = {}
    if "23" in levels:
        name, dmg = _required(patient, "NM1", "03"), _required(patient, "DMG")
        dependent_values = {
            "last_name": name[3],
            "first_name": name[4],
            "birth_date": dmg_birth_date(dmg),
            "gender": dmg[3],
        }
    try:
        dependent = Dependent(**dependent_values) if dependent_values else None
        return EligibilityRequest(**values, dependent=dependent)
    except X12Error as error:
        raise interchange.st.error(f"not a valid request: {error}") from None


def _required(level: Level, segment_id: str, qualifier: str = "") -> Segment:
    segment = find(level.segments, segment_id, qualifier)
    if segment is None:
        wanted = f"{segment_id}*{qualifier}" if qualifier else segment_id
        raise level.hl.error(f"level {level.code} has no {wanted}")
    return segment


def _control_number(segment: Segment, number: int) -> int:
    if not segment[number].isdigit():
        raise segment.error(f'{segment.name(number)} "{segment[number]}" is not a number')
    return int(segment[number])


def _time(segment: Segment, number: int) -> time:
    value = segment.required(number)
    try:
        if not value.isdigit() or len(value) < 4:
            raise ValueError
        return time(int(value[:2]), int(value[2:4]))
    except ValueError:
        raise segment.error(f'{segment.name(number)} "{value}" is not a time (HHMM)') from None


def _service_types(eq: Segment) -> tuple[str, ...]:
    if not eq[1]:
        raise eq.error("EQ01 service type is missing (procedure inquiries are not read)")
    return eq.repeats(1)
