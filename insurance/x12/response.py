"""The 271 eligibility response: who is covered, whether, and with which dental benefits.

Only the patient's level is read for benefits: the dependent (2000D) when the response has
one, else the subscriber (2000C).
"""

import re
from dataclasses import dataclass
from datetime import date

from insurance.x12.benefits import BenefitLoop, benefit_rows, procedure_code
from insurance.x12.codes import FOLLOW_UP_ACTIONS, REJECT_REASONS
from insurance.x12.rows import BenefitRows
from insurance.x12.segments import (
    Level,
    Segment,
    dmg_birth_date,
    dtp_dates,
    find,
    hierarchical_levels,
    read_interchange,
)

_MISSING_TOOTH = re.compile(r"missing\s+tooth", re.IGNORECASE)
# A rejection's level, by HL level code.
LEVEL_NAMES = {"20": "payer", "21": "provider", "22": "subscriber", "23": "dependent"}


@dataclass(frozen=True)
class Member:
    last_name: str
    first_name: str
    member_id: str
    birth_date: date | None
    gender: str


@dataclass(frozen=True)
class Rejection:
    """An AAA: the payer could not answer (part of) the request."""

    code: str
    reason: str
    follow_up: str
    level: str  # payer, provider, subscriber, dependent, or benefit (under one EB)
    segment: int


@dataclass(frozen=True)
class Message:
    """A MSG, verbatim, with the EB it belongs to."""

    text: str
    benefit: str  # EB01
    service_types: tuple[str, ...]
    code: str
    segment: int


@dataclass(frozen=True)
class LastVisit:
    """A procedure's latest service date as the payer knows it ("done elsewhere" history)."""

    code: str
    date: date


@dataclass(frozen=True)
class Contact:
    """An other payer (EB*R) or an entity to contact (EB*U), for display."""

    service_types: tuple[str, ...]
    entity: str  # NM101, e.g. VN vendor, PRP primary payer
    name: str
    identifier: str
    phone: str


@dataclass(frozen=True)
class EligibilityResponse:
    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    trace_number: str
    subscriber: Member | None
    dependent: Member | None
    benefits_level: str  # "subscriber" or "dependent": whose EB loops were read
    group_number: str
    group_name: str
    plan_begin: date | None
    plan_end: date | None
    eligibility_begin: date | None
    eligibility_end: date | None
    active: bool
    inactive_reason: str
    plan_description: str
    insurance_type: str
    covered_service_types: tuple[str, ...]
    benefits: BenefitRows
    out_of_network: BenefitRows
    last_visits: tuple[LastVisit, ...]
    messages: tuple[Message, ...]
    other_payers: tuple[Contact, ...]
    contacts: tuple[Contact, ...]
    rejections: tuple[Rejection, ...]

    @property
    def missing_tooth_clause(self) -> bool:
        return any(_MISSING_TOOTH.search(message.text) for message in self.messages)


@dataclass(frozen=True)
class _MemberLevel:
    """A subscriber or dependent level split into its 2100 segments and its EB loops."""

    level: Level
    header: tuple[Segment, ...]
    loops: list[BenefitLoop]


def parse_271(text: str, *, coinsurance_inverted: bool = False) -> EligibilityResponse:
    """Read a 271. `coinsurance_inverted`: the carrier sends the plan's share in EB08."""
    interchange = read_interchange(text, "271")
    levels = hierarchical_levels(interchange.body)
    if "20" not in levels:
        raise interchange.bht.error("the response has no payer level (HL*20)")
    payer = find(levels["20"].segments, "NM1", "PR")
    if payer is None:
        raise levels["20"].hl.error("the payer level has no NM1*PR")
    provider = find(levels["21"].segments, "NM1") if "21" in levels else None
    members = {code: _split_member_level(levels[code]) for code in ("22", "23") if code in levels}
    patient = members.get("23", members.get("22"))
    # The patient's own 2100 segments first, then the subscriber's (group, plan dates).
    header = tuple(s for code in ("23", "22") if code in members for s in members[code].header)
    loops = patient.loops if patient else []
    dates = _dates(header)
    coverage_begins = dates.get("eligibility_begin") or dates.get("plan_begin")
    benefits, out_of_network = benefit_rows(
        loops, coverage_begins=coverage_begins, coinsurance_inverted=coinsurance_inverted
    )
    active_rows = [loop.eb for loop in loops if loop.eb[1] == "1"]
    inactive_rows = [loop.eb for loop in loops if loop.eb[1] == "6"]
    active = bool(active_rows) and not inactive_rows
    rejections = _rejections(levels, members)
    group = find(header, "REF", "6P")
    return EligibilityResponse(
        payer_name=payer[3],
        payer_id=payer[9],
        provider_name=provider[3] if provider else "",
        provider_npi=provider[9] if provider else "",
        trace_number=_trace_number(header),
        subscriber=_member(members.get("22"), "IL"),
        dependent=_member(members.get("23"), "03"),
        benefits_level="dependent" if "23" in members else "subscriber",
        group_number=group[2] if group else "",
        group_name=group[3] if group else "",
        plan_begin=dates.get("plan_begin"),
        plan_end=dates.get("plan_end"),
        eligibility_begin=dates.get("eligibility_begin"),
        eligibility_end=dates.get("eligibility_end"),
        active=active,
        inactive_reason="" if active else _inactive_reason(bool(inactive_rows), rejections),
        plan_description=next((eb[5] for eb in active_rows if eb[5]), ""),
        insurance_type=next((eb[4] for eb in active_rows if eb[4]), ""),
        covered_service_types=tuple(
            dict.fromkeys(code for eb in active_rows for code in eb.repeats(3))
        ),
        benefits=benefits,
        out_of_network=out_of_network,
        last_visits=_last_visits(loops),
        messages=tuple(
            Message(msg[1], loop.eb[1], loop.eb.repeats(3), procedure_code(loop.eb), msg.position)
            for loop in loops
            for msg in loop.segments("MSG")
        ),
        other_payers=_contacts(loops, "R"),
        contacts=_contacts(loops, "U"),
        rejections=rejections,
    )


def _split_member_level(level: Level) -> _MemberLevel:
    header: list[Segment] = []
    loops: list[BenefitLoop] = []
    entity_loop: Segment | None = None  # the open LS, while reading a 2120 loop
    for segment in level.segments:
        if segment.id == "EB":
            if entity_loop is not None:
                raise entity_loop.error("LS without its LE")
            loops.append(BenefitLoop(segment))
        elif not loops:
            if segment.id in ("HSD", "MSG", "LS", "LE"):
                raise segment.error(f"{segment.id} before any EB")
            header.append(segment)
        elif segment.id == "LS":
            entity_loop = segment
        elif segment.id == "LE":
            if entity_loop is None:
                raise segment.error("LE without an LS")
            entity_loop = None
        elif entity_loop is not None:
            if segment.id == "NM1":
                loops[-1].entities.append([segment])
            elif not loops[-1].entities:
                raise segment.error("an LS loop starts with NM1")
            else:
                loops[-1].entities[-1].append(segment)
        else:
            loops[-1].details.append(segment)
    if entity_loop is not None:
        raise entity_loop.error("LS without its LE")
    return _MemberLevel(level=level, header=tuple(header), loops=loops)


def _member(member_level: _MemberLevel | None, qualifier: str) -> Member | None:
    if member_level is None:
        return None
    name = find(member_level.header, "NM1", qualifier)
    if name is None:
        raise member_level.level.hl.error(f"level {member_level.level.code} has no NM1*{qualifier}")
    dmg = find(member_level.header, "DMG")
    return Member(
        last_name=name[3],
        first_name=name[4],
        member_id=name[9],
        birth_date=dmg_birth_date(dmg) if dmg and dmg[2] else None,
        gender=dmg[3] if dmg else "",
    )


def _dates(header: tuple[Segment, ...]) -> dict[str, date]:
    """Plan and eligibility dates; the first of each (the patient's) wins."""
    dates: dict[str, date] = {}
    for dtp in reversed([s for s in header if s.id == "DTP"]):
        start, end = dtp_dates(dtp)
        qualifier = dtp[1]
        if qualifier in ("346", "291"):  # plan begin, or the plan's range
            dates["plan_begin"] = start
        if qualifier == "347" or (qualifier == "291" and end):
            dates["plan_end"] = end or start
        if qualifier in ("356", "307"):  # eligibility begin, or its range
            dates["eligibility_begin"] = start
        if qualifier == "357" or (qualifier == "307" and end):
            dates["eligibility_end"] = end or start
    return dates


def _trace_number(header: tuple[Segment, ...]) -> str:
    # TRN*2 echoes the 270's trace number; TRN*1 is the payer's or clearinghouse's own.
    trace = find(header, "TRN", "2") or find(header, "TRN")
    return trace[2] if trace else ""


def _rejections(
    levels: dict[str, Level], members: dict[str, _MemberLevel]
) -> tuple[Rejection, ...]:
    found = []
    for code, level in levels.items():
        segments = members[code].header if code in members else level.segments
        found += [(aaa, LEVEL_NAMES[code]) for aaa in segments if aaa.id == "AAA"]
        if code in members:
            found += [
                (aaa, "benefit") for loop in members[code].loops for aaa in loop.segments("AAA")
            ]
    return tuple(
        Rejection(
            code=aaa.required(3),
            reason=REJECT_REASONS.get(aaa[3], f"reject reason {aaa[3]}"),
            follow_up=FOLLOW_UP_ACTIONS.get(aaa[4], aaa[4]),
            level=where,
            segment=aaa.position,
        )
        for aaa, where in sorted(found, key=lambda pair: pair[0].position)
    )


def _inactive_reason(reported_inactive: bool, rejections: tuple[Rejection, ...]) -> str:
    request_rejections = [r for r in rejections if r.level != "benefit"]
    if request_rejections:
        return "; ".join(f"{r.reason} ({r.code})" for r in request_rejections)
    if reported_inactive:
        return "coverage inactive"
    return "no active coverage in the response"


def _last_visits(loops: list[BenefitLoop]) -> tuple[LastVisit, ...]:
    visits = []
    for loop in loops:
        code = procedure_code(loop.eb)
        for dtp in loop.segments("DTP", "304") if code else ():
            start, end = dtp_dates(dtp)
            visits.append(LastVisit(code, end or start))
    return tuple(dict.fromkeys(visits))


def _contacts(loops: list[BenefitLoop], benefit: str) -> tuple[Contact, ...]:
    # An EB*R or EB*U without a 2120 loop still says there is another payer or a contact.
    return tuple(
        _contact(loop.eb.repeats(3), entity)
        for loop in loops
        if loop.eb[1] == benefit
        for entity in loop.entities or [[]]
    )


def _contact(service_types: tuple[str, ...], entity: list[Segment]) -> Contact:
    if not entity:
        return Contact(service_types, entity="", name="", identifier="", phone="")
    nm1 = entity[0]
    return Contact(
        service_types,
        entity=nm1[1],
        name=_entity_name(nm1),
        identifier=nm1[9],
        phone=_phone(find(tuple(entity), "PER")),
    )


def _entity_name(nm1: Segment) -> str:
    if nm1[2] == "1":  # a person: first name, then last
        return " ".join(part for part in (nm1[4], nm1[3]) if part)
    return nm1[3]


def _phone(per: Segment | None) -> str:
    if per is None:
        return ""
    # PER03..PER08 are three (kind, number) pairs.
    return next((per[n + 1] for n in (3, 5, 7) if per[n] == "TE"), "")
