"""A year of treatment history for the demo locations, as the import format's treatment sections.

Every day has its own seeded generator (the seed, the location and the date), and every plan its
own (its ref), so a plan and everything that happens to it are the same whatever day the demo is
loaded. The day of loading only decides what has happened yet: the file holds the plans of the
last 365 days and, of their presentations, decisions and completions, those before today. Loading
again the same day changes nothing; a later day adds what has happened since (and plans older
than a year stay as they are: an import leaves out-of-file records alone).

What varies, so that the dashboards have something to show: the coordinator (Alicia converts
better than Jordan), the dentist (Dr. Adeyemi's plans are accepted more than Dr. Chen's) and the
category (checkups and prevention nearly always, implants and crowns far less). Declines carry
reasons (cost most often, then insurance), deferrals mostly wait for benefits to renew, some
patients are presented again and say yes, and most accepted work is completed. Patients who do
not decide on the spot are followed up on the "2-2-2" cadence until they decide: a call two days
after the presentation (not always logged), an email after two weeks and a text after two months
(each only with the patient's consent).
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

HISTORY_DAYS = 365
# Plans diagnosed per working day: (chance of one, chance of a second).
PLANS_PER_DAY = {"lakeside-downtown": (0.42, 0.1), "lakeside-northgate": (0.3, 0.06)}
# Who presents (weights) and who diagnoses (weights), per location.
PRESENTERS = {
    "lakeside-downtown": {"atorres": 3, "jreyes": 1},
    "lakeside-northgate": {"atorres": 1, "jreyes": 2},
}
DENTISTS = {
    "lakeside-downtown": {"dr-adeyemi": 3, "dr-chen": 1},
    "lakeside-northgate": {"dr-chen": 1},
}
# How much more (or less) often plans are accepted with this person involved.
COORDINATOR_EFFECT = {"atorres": 1.12, "jreyes": 0.82}
DENTIST_EFFECT = {"dr-adeyemi": 1.12, "dr-chen": 0.86}
# The chance a presented plan's main work is accepted, by catalog category.
ACCEPTANCE = {
    "diagnostic": 0.95,
    "preventive": 0.93,
    "restorative": 0.74,
    "oral_surgery": 0.7,
    "periodontics": 0.58,
    "endodontics": 0.6,
    "crowns": 0.48,
    "prosthodontics": 0.42,
    "implants": 0.33,
}
DECLINE_REASONS = {
    "cost": 40,
    "insurance": 20,
    "time": 10,
    "fear": 8,
    "co_decider": 7,
    "not_a_priority": 7,
    "second_opinion": 5,
    "other": 3,
}
DEFER_REASONS = {"waiting_for_benefits": 45, "cost": 20, "time": 15, "co_decider": 10}
MODES = {"in_person": 75, "phone": 10, "video": 8, "link": 7}
# The "2-2-2" cadence (plans.followup_services.DEFAULT_STEPS): (step, days after the
# presentation, channel). Automatic steps go out at STEP_HOUR where the practice is.
FOLLOW_UP_STEPS = ((1, 2, "call"), (2, 14, "email"), (3, 60, "sms"))
STEP_HOUR = 10
CALL_LOGGED = 0.75  # the rest of the calls were not made (or not logged): overdue in the queue
CALL_OUTCOMES = {"reached": 35, "voicemail": 40, "no_answer": 25}
# Recall visits (exam and cleaning, outside any plan) every half year, by the practice dentist.
RECALL_DAYS = 182
RECALL_ANCHOR = date(2024, 1, 1)

POSTERIOR = [1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 28, 29, 30, 31, 32]
MOLARS = [2, 3, 14, 15, 18, 19, 30, 31]
ANTERIOR = [6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27]
GAPS = [3, 4, 5, 12, 13, 14, 19, 20, 21, 28, 29, 30]  # a missing tooth with neighbours
PRIMARY_MOLARS = list("ABIJKLST")
SEALANT_TEETH = [3, 14, 19, 30]


@dataclass
class _Procedure:
    code: str
    phase: int = 1
    tooth: str = ""
    surfaces: str = ""
    area: str = ""


@dataclass
class _Option:
    name: str
    procedures: list[_Procedure]
    category: str  # the main work's category, which decides how likely a yes is


@dataclass
class History:
    """The treatment sections of one location's import document."""

    plans: list[dict] = field(default_factory=list)
    presentations: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    follow_ups: list[dict] = field(default_factory=list)
    completed: list[dict] = field(default_factory=list)


def history(
    location: dict, patients: list[dict], fees: dict[str, str], today: date, seed: int
) -> History:
    """What happened at `location` in the year before `today` (nothing dated today or later)."""
    slug = location["slug"]
    active = [p for p in patients if not p.get("archived")]
    out = History()
    for offset in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        rng = random.Random(f"{seed}:{slug}:{day.isoformat()}")  # noqa: S311 (demo data)
        first, second = PLANS_PER_DAY[slug]
        count = (rng.random() < first) + (rng.random() < second)
        for number in range(1, count + 1):
            ref = f"{location['ref_prefix']}-TP-{day:%y%m%d}-{number}"
            patient = rng.choice(active)
            _plan(out, ref, patient, location, day, seed, today)
    for patient in active:
        _recalls(out, patient, location, fees, today, seed)
    return out


def _at(moment: datetime) -> str:
    """A wall-clock time in the practice's zone, as the file writes it (no offset)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _age_group(patient: dict, day: date) -> str:
    age = day.year - int(patient["birth_date"][:4])
    return "child" if age < 16 else "senior" if age >= 65 else "adult"


def _options(rng: random.Random, group: str) -> list[_Option]:
    """What the dentist diagnosed: one option, or alternatives for a missing tooth or a crown."""
    kinds = {
        "child": {"prevention": 5, "fillings": 5},
        "adult": {
            "prevention": 12,
            "fillings": 34,
            "perio": 12,
            "crown": 18,
            "missing": 11,
            "extraction": 8,
        },
        "senior": {
            "fillings": 20,
            "perio": 15,
            "crown": 20,
            "missing": 20,
            "denture": 12,
            "extraction": 13,
        },
    }[group]
    kind = _pick(rng, kinds)
    if kind == "prevention":
        if group == "child":
            teeth = rng.sample(SEALANT_TEETH, rng.randint(2, 4))
            work = [_Procedure("D1351", tooth=str(t)) for t in sorted(teeth)]
            return [_Option("Sealants", [*work, _Procedure("D1206")], "preventive")]
        return [_Option("Checkup x-rays", [_Procedure("D0210"), _Procedure("D1206")], "diagnostic")]
    if kind == "fillings":
        return [_Option("Fillings", _fillings(rng, group), "restorative")]
    if kind == "perio":
        quadrants = ["UR", "UL", "LR", "LL"][: rng.randint(2, 4)]
        work = [_Procedure("D4341", phase=1 + (i >= 2), area=q) for i, q in enumerate(quadrants)]
        work.append(_Procedure("D4910", phase=work[-1].phase + 1))
        return [_Option("Gum treatment", work, "periodontics")]
    if kind == "crown":
        tooth = str(rng.choice(MOLARS))
        work = [_Procedure("D2950", tooth=tooth), _Procedure("D2740", tooth=tooth)]
        if rng.random() < 0.35:
            work = [_Procedure("D3330", tooth=tooth)] + [
                _Procedure(p.code, phase=2, tooth=tooth) for p in work
            ]
        crown = _Option("Crown", work, "crowns")
        if rng.random() < 0.3:
            filling = _Procedure("D2392", tooth=tooth, surfaces=rng.choice(["MO", "DO"]))
            return [crown, _Option("Large filling", [filling], "restorative")]
        return [crown]
    if kind == "missing":
        return _missing_tooth(rng)
    if kind == "extraction":
        code = rng.choice(["D7140", "D7140", "D7210"])
        return [
            _Option("Extraction", [_Procedure(code, tooth=str(rng.choice(MOLARS)))], "oral_surgery")
        ]
    teeth = rng.sample(range(2, 16), rng.randint(2, 4))
    work = [_Procedure("D7140", tooth=str(t)) for t in sorted(teeth)]
    return [
        _Option("Upper denture", [*work, _Procedure("D5110", phase=2, area="U")], "prosthodontics")
    ]


def _fillings(rng: random.Random, group: str) -> list[_Procedure]:
    work = []
    if group == "child":
        for tooth in rng.sample(PRIMARY_MOLARS, rng.randint(1, 3)):
            work.append(_Procedure("D2391", tooth=tooth, surfaces="O"))
        return work
    for tooth in sorted(rng.sample(POSTERIOR, rng.randint(1, 3))):
        if rng.random() < 0.45:
            work.append(_Procedure("D2392", tooth=str(tooth), surfaces=rng.choice(["MO", "DO"])))
        elif rng.random() < 0.15:
            work.append(_Procedure("D2140", tooth=str(tooth), surfaces="O"))
        else:
            work.append(_Procedure("D2391", tooth=str(tooth), surfaces=rng.choice("OOMD")))
    if rng.random() < 0.2:
        tooth = rng.choice(ANTERIOR)
        work.append(_Procedure("D2330", tooth=str(tooth), surfaces=rng.choice("MDF")))
    return work


def _missing_tooth(rng: random.Random) -> list[_Option]:
    """Implant, bridge or partial denture: the alternatives a coordinator presents side by side."""
    gap = rng.choice(GAPS)
    implant = _Option(
        "Implant",
        [_Procedure("D6010", tooth=str(gap)), _Procedure("D6058", phase=2, tooth=str(gap))],
        "implants",
    )
    bridge = _Option(
        "Bridge",
        [
            _Procedure("D2740", tooth=str(gap - 1)),
            _Procedure("D6240", tooth=str(gap)),
            _Procedure("D2740", tooth=str(gap + 1)),
        ],
        "prosthodontics",
    )
    arch = "U" if gap <= 16 else "L"
    partial = _Option(
        "Partial denture",
        [_Procedure("D5213" if arch == "U" else "D5214", area=arch)],
        "prosthodontics",
    )
    return [implant, bridge] + ([partial] if rng.random() < 0.5 else [])


def _plan(
    out: History,
    ref: str,
    patient: dict,
    location: dict,
    day: date,
    seed: int,
    today: date,
) -> None:
    """One plan and, clipped at `today`, what happened to it."""
    slug = location["slug"]
    rng = random.Random(f"{seed}:{ref}")  # noqa: S311
    start = datetime.combine(day, time(8)) + timedelta(minutes=rng.randrange(0, 17 * 30, 5))
    dentist = _pick(rng, DENTISTS[slug])
    options = _options(rng, _age_group(patient, day))
    recommended = 0
    out.plans.append(
        {
            "ref": ref,
            "patient": patient["ref"],
            "dentist": dentist,
            "diagnosed_at": _at(start),
            "options": [
                {
                    "ref": f"{ref}-{'abc'[index]}",
                    "name": option.name,
                    "recommended": index == recommended,
                    "procedures": [
                        _procedure_record(f"{ref}-{'abc'[index]}-{n}", procedure)
                        for n, procedure in enumerate(option.procedures, start=1)
                    ],
                }
                for index, option in enumerate(options)
            ],
        }
    )
    events = _Events(out, today)
    if rng.random() < 0.06:
        return  # diagnosed and never presented: the coordinator's "to present" list
    coordinator = _pick(rng, PRESENTERS[slug])
    # Most plans are presented right after the exam; some on a later call or visit.
    presented = start + (
        timedelta(minutes=rng.randrange(10, 90))
        if rng.random() < 0.6
        else timedelta(days=rng.randint(1, 10), minutes=rng.randrange(0, 240))
    )
    events.present(f"{ref}-P1", ref, coordinator, presented, _pick(rng, MODES))
    # Alternatives: most patients take the recommended option.
    chosen = 0 if len(options) == 1 or rng.random() < 0.6 else rng.randrange(1, len(options))
    option_ref = f"{ref}-{'abc'[chosen]}"
    procedures = [
        (f"{option_ref}-{n}", p) for n, p in enumerate(options[chosen].procedures, start=1)
    ]
    everything = [
        f"{ref}-{'abc'[i]}-{n}"
        for i, option in enumerate(options)
        for n in range(1, len(option.procedures) + 1)
    ]
    chance = ACCEPTANCE[options[chosen].category]
    chance *= COORDINATOR_EFFECT[coordinator] * DENTIST_EFFECT[dentist]
    decided = presented + (
        timedelta(minutes=rng.randrange(5, 30))
        if rng.random() < 0.45
        else timedelta(days=rng.randint(1, 30), hours=rng.randint(0, 6))
    )
    # Checkups and prevention are taken whole; bigger work is often taken in part.
    partly = 0.05 if options[chosen].category in ("diagnostic", "preventive") else 0.25
    accepted = rng.random() < min(chance, 0.97)
    outcome = None if accepted else rng.random()
    undecided = outcome is not None and outcome < 0.15
    _follow_up(events, ref, patient, coordinator, presented, None if undecided else decided, seed)
    if accepted:
        _accept(rng, events, procedures, decided, partly)
        return
    if undecided:
        return  # still thinking about it: the follow-up goes on
    if outcome < 0.65:
        reason = _pick(rng, DECLINE_REASONS)
        for procedure_ref in everything:
            events.decide(procedure_ref, "declined", decided, reason)
    else:
        reason = _pick(rng, DEFER_REASONS)
        for procedure_ref, _p in procedures:
            events.decide(procedure_ref, "deferred", decided, reason)
    # Some are presented again a few weeks later, and half of those say yes then.
    if rng.random() < 0.25:
        again = decided + timedelta(days=rng.randint(20, 60), minutes=rng.randrange(0, 120))
        events.present(f"{ref}-P2", ref, _pick(rng, PRESENTERS[slug]), again, "in_person")
        if rng.random() < 0.5:
            _accept(rng, events, procedures, again + timedelta(minutes=20), partly)


def _follow_up(
    events: "_Events",
    ref: str,
    patient: dict,
    coordinator: str,
    presented: datetime,
    decided: datetime | None,
    seed: int,
) -> None:
    """The touches of the default cadence that fell before the patient decided (or, undecided,
    before today)."""
    rng = random.Random(f"{seed}:{ref}:follow-up")  # noqa: S311
    consent = {
        "call": True,
        "email": bool(patient.get("email")) and patient.get("email_consent", False),
        "sms": patient.get("sms_consent", False),
    }
    for number, days, channel in FOLLOW_UP_STEPS:
        at = datetime.combine(presented.date() + timedelta(days=days), time(STEP_HOUR))
        touch = {"ref": f"{ref}-F{number}", "plan": ref, "channel": channel, "outcome": "sent"}
        if channel == "call":
            logged = rng.random() < CALL_LOGGED
            at += timedelta(minutes=rng.randrange(0, 6 * 60, 5))
            touch.update(by=coordinator, outcome=_pick(rng, CALL_OUTCOMES))
            if not logged:
                continue
        if decided is not None and at >= decided:
            return
        if consent[channel]:
            events.follow_up({**touch, "at": _at(at)}, at)


def _procedure_record(ref: str, procedure: _Procedure) -> dict:
    record = {"ref": ref, "code": procedure.code}
    for key in ("tooth", "surfaces", "area"):
        if getattr(procedure, key):
            record[key] = getattr(procedure, key)
    if procedure.phase != 1:
        record["phase"] = procedure.phase
    return record


def _accept(
    rng: random.Random,
    events: "_Events",
    procedures: list[tuple[str, _Procedure]],
    at: datetime,
    partly: float,
) -> None:
    """A yes to all, or to the first phase (or part) with the rest deferred or declined; most
    of the accepted work is then done, phase by phase."""
    accepted = procedures
    if len(procedures) > 1 and rng.random() < partly:
        later = [item for item in procedures if item[1].phase > 1]
        if later:
            accepted = [item for item in procedures if item[1].phase == 1]
            kind, reason = "deferred", _pick(rng, DEFER_REASONS)
        else:
            keep = rng.randint(1, len(procedures) - 1)
            accepted, later = procedures[:keep], procedures[keep:]
            kind, reason = "declined", _pick(rng, DECLINE_REASONS)
        for procedure_ref, _p in later:
            events.decide(procedure_ref, kind, at, reason)
    # Some work is done without anyone recording the yes: it counts as accepted all the same.
    recorded = rng.random() >= 0.08
    if recorded:
        for procedure_ref, _p in accepted:
            events.decide(procedure_ref, "accepted", at, "")
    if recorded and rng.random() < 0.15:
        return  # accepted, not booked yet: "accepted but not scheduled"
    first_visit = at.date() + timedelta(days=rng.randint(5, 35))
    for procedure_ref, procedure in accepted:
        events.complete(procedure_ref, first_visit + timedelta(days=28 * (procedure.phase - 1)))


class _Events:
    """Adds presentations, decisions and completions that happened before `today`."""

    def __init__(self, out: History, today: date) -> None:
        self.out = out
        self.today = today

    def present(self, ref: str, plan: str, by: str, at: datetime, mode: str) -> None:
        if at.date() < self.today:
            self.out.presentations.append(
                {"ref": ref, "plan": plan, "by": by, "at": _at(at), "mode": mode}
            )

    def decide(self, procedure: str, kind: str, at: datetime, reason: str) -> None:
        if at.date() < self.today:
            decision = {"procedure": procedure, "decision": kind, "at": _at(at)}
            if reason:
                decision["reason"] = reason
            self.out.decisions.append(decision)

    def follow_up(self, touch: dict, at: datetime) -> None:
        if at.date() < self.today:
            self.out.follow_ups.append(touch)

    def complete(self, procedure: str, on: date) -> None:
        if on < self.today:
            self.out.completed.append({"procedure": procedure, "on": on.isoformat()})


def _recalls(
    out: History, patient: dict, location: dict, fees: dict[str, str], today: date, seed: int
) -> None:
    """Checkups and cleanings twice a year: work done outside any plan."""
    rng = random.Random(f"{seed}:{patient['ref']}:recall")  # noqa: S311
    dentist = next(iter(DENTISTS[location["slug"]]))
    visit = RECALL_ANCHOR + timedelta(days=rng.randrange(RECALL_DAYS))
    first = today - timedelta(days=HISTORY_DAYS)
    number = 0
    while visit < today:
        if visit >= first and visit.weekday() < 5:
            child = _age_group(patient, visit) == "child"
            codes = ["D0120", "D1120" if child else "D1110"]
            codes += ["D1206"] if child else []
            codes += ["D0274"] if number % 2 == 0 else []
            for code in codes:
                out.completed.append(
                    {
                        "ref": f"{patient['ref']}-{visit:%y%m%d}-{code}",
                        "patient": patient["ref"],
                        "code": code,
                        "fee": fees[code],
                        "on": visit.isoformat(),
                        "dentist": dentist,
                    }
                )
        visit += timedelta(days=RECALL_DAYS + rng.randint(-10, 10))
        number += 1
