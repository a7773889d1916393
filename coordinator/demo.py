"""Demo data: one organization with two locations, built as import documents and loaded through
the same import code as real practices. Development only: it sets known passwords.

The documents are deterministic (seeded random generators) for a given day: loading them again
the same day changes nothing. The treatment history (coordinator/demo_history.py) is the year
before the day of loading, so the dashboards look alive; a later day adds what has happened
since. Sign-in details are in docs/import-format.md ("Demo data").
"""

import random
import time
import unicodedata
from base64 import b32decode
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scope

from coordinator import demo_history, importing
from coordinator.audit import audit_record
from coordinator.models import Membership, Practice, User
from coordinator.roles import Role
from insurance import demo as insurance_demo
from plans import followup_services
from plans.followup_models import (
    Channel,
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Touch,
    TouchOutcome,
)
from plans.models import Decision, DecisionKind, TreatmentPlan
from plans.states import OPEN_STATUSES

SYSTEM_ACTOR = "command:load_demo"
SEED = 2026
# Known on purpose (development only; load_demo refuses to run without DEBUG).
PASSWORD = "demo-smile-2026"  # noqa: S105
PASSWORD_SALT = "lakesidedemo2026"  # noqa: S105
# Base32 as an authenticator app shows it; TOTPDevice stores the same bytes as hex.
TOTP_SECRET = "LAKESIDEDEMOTOTPSECRETFORDEVONLY"  # noqa: S105
TOTP_DEVICE_NAME = "Demo authenticator"
ORGANIZATION = {"slug": "lakeside-dental", "name": "Lakeside Dental Group"}
DOMAIN = "lakesidedental.example"
# Undecided plans presented this recently have a live follow-up (the cadence's last step is at
# 60 days).
FOLLOW_UP_DAYS = 60
CALL_BACK_HOUR = 9

LOCATIONS = [
    {
        "slug": "lakeside-downtown",
        "name": "Lakeside Dental Downtown",
        "timezone": "America/Chicago",
        "phone": "+13125550100",
        "email": f"downtown@{DOMAIN}",
        "address": "200 N Lakeside Ave, Suite 400\nChicago, IL 60601",
        "area_code": "312",
        "patients": 36,
        "ref_prefix": "DT",
    },
    {
        "slug": "lakeside-northgate",
        "name": "Lakeside Dental Northgate",
        "timezone": "America/Chicago",
        "phone": "+17735550100",
        "email": f"northgate@{DOMAIN}",
        "address": "1450 W Northgate Rd\nChicago, IL 60626",
        "area_code": "773",
        "patients": 24,
        "ref_prefix": "NG",
    },
]

# (ref, name, email local part, {location slug: role})
STAFF = [
    (
        "rlind",
        "Rebecca Lind",
        "rebecca",
        {"lakeside-downtown": Role.OWNER, "lakeside-northgate": Role.OWNER},
    ),
    ("mbell", "Marcus Bell", "marcus", {"lakeside-downtown": Role.OFFICE_MANAGER}),
    ("pshah", "Priya Shah", "priya", {"lakeside-northgate": Role.OFFICE_MANAGER}),
    (
        "atorres",
        "Alicia Torres",
        "alicia",
        {"lakeside-downtown": Role.COORDINATOR, "lakeside-northgate": Role.COORDINATOR},
    ),
    (
        "jreyes",
        "Jordan Reyes",
        "jordan",
        {"lakeside-downtown": Role.COORDINATOR, "lakeside-northgate": Role.COORDINATOR},
    ),
    ("dr-adeyemi", "Samuel Adeyemi, DDS", "dr.adeyemi", {"lakeside-downtown": Role.DENTIST}),
    (
        "dr-chen",
        "Emily Chen, DMD",
        "dr.chen",
        {"lakeside-downtown": Role.DENTIST, "lakeside-northgate": Role.DENTIST},
    ),
    ("tnguyen", "Tina Nguyen", "tina", {"lakeside-downtown": Role.FRONT_DESK}),
]

# Our own plain-language descriptions (never the ADA's descriptors), downtown fee, minutes.
CATALOG = [
    ("D0120", "Regular checkup exam", "65.00", 15),
    ("D0150", "First full exam for a new patient", "110.00", 30),
    ("D0210", "Complete set of x-rays of all teeth", "150.00", 20),
    ("D0274", "Four x-rays of the back teeth", "75.00", 10),
    ("D0330", "Panoramic x-ray of the whole mouth", "125.00", 10),
    ("D1110", "Teeth cleaning for adults", "115.00", 60),
    ("D1120", "Teeth cleaning for children", "80.00", 30),
    ("D1206", "Fluoride varnish to strengthen teeth", "45.00", 5),
    ("D1351", "Sealant that protects a back tooth from decay", "55.00", 10),
    ("D2140", "Silver filling, one side of the tooth", "150.00", 30),
    ("D2330", "White filling on a front tooth, one side", "175.00", 30),
    ("D2391", "White filling on a back tooth, one side", "195.00", 30),
    ("D2392", "White filling on a back tooth, two sides", "245.00", 40),
    ("D2740", "Porcelain crown (cap) over the whole tooth", "1250.00", 90),
    ("D2950", "Rebuilding the tooth's core so a crown can hold", "295.00", 30),
    ("D3330", "Root canal treatment on a back molar", "1150.00", 90),
    ("D4341", "Deep cleaning under the gums, a quarter of the mouth", "265.00", 60),
    ("D4910", "Gum care cleaning after a deep cleaning", "150.00", 60),
    ("D5110", "Full removable denture for the upper teeth", "1850.00", 60),
    ("D5213", "Removable partial denture for the upper teeth, metal frame", "1650.00", 60),
    ("D5214", "Removable partial denture for the lower teeth, metal frame", "1650.00", 60),
    ("D6010", "Implant post placed in the jaw", "2100.00", 90),
    ("D6058", "Porcelain crown on an implant", "1450.00", 60),
    ("D6240", "Replacement tooth held by a bridge", "1150.00", 90),
    ("D7140", "Simple tooth removal", "185.00", 30),
    ("D7210", "Surgical tooth removal", "325.00", 45),
]
NORTHGATE_MARKUP = Decimal("1.05")

FIRST_NAMES = {
    "child": "Mia, Aiden, Zoë, Liam, Emma, Jayden, Ava, Santiago, Aaliyah, Noah, Hana, Mateo",
    "adult": (
        "Maria, James, Aisha, Wei, Priyanka, Carlos, Fatima, Kevin, Sofia, DeShawn, Keisha, "
        "Hiroshi, Mohammed, Ananya, Isabella, Ethan, Chloe, Omar, Grace, Darius, Elena, Tomasz, "
        "Anh, Kwame, Siobhán, Rafael, Leilani, Jamal, Ingrid, José, Amara, William, Elizabeth, "
        "Robert, Katherine, Alejandro"
    ),
    "senior": (
        "Harold, Dorothy, Walter, Betty, Eugene, Gloria, Frank, Marjorie, Raymond, Shirley, "
        "Margaret, Stanisław"
    ),
}
NICKNAMES = {
    "William": "Bill",
    "Elizabeth": "Liz",
    "Robert": "Bob",
    "Katherine": "Kate",
    "Alejandro": "Alex",
    "Margaret": "Peggy",
    "Stanisław": "Stan",
}
LAST_NAMES = (
    "Garcia, Johnson, Nguyen, Patel, Kowalski, Williams, Hernández, Kim, O'Brien, Washington, "
    "Rodriguez, Nowak, Murphy, Jackson, Lopez, Singh, Tanaka, Brown, Ali, Martinez, Davis, "
    "Thompson, Rossi, Schmidt, Anderson, Haddad, Mensah, Flores, Cohen, Le, Park, Sullivan, "
    "Moore, Ramirez, Van der Berg, Okonkwo-Smith"
)
BIRTH_YEARS = {"child": (2011, 2021), "adult": (1962, 2005), "senior": (1936, 1961)}
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]


def documents(today: date | None = None) -> list[dict]:
    """The two locations' import documents with their history up to the day before `today`
    (default: today where the practice is); the same on every call for the same day."""
    rng = random.Random(SEED)
    return [_document(location, rng, today) for location in LOCATIONS]


def _document(location: dict, rng: random.Random, today: date | None) -> dict:
    slug = location["slug"]
    markup = Decimal(1) if slug == "lakeside-downtown" else NORTHGATE_MARKUP
    fees = {
        code: f"{(Decimal(fee) * markup).quantize(Decimal(1))}.00" for code, _d, fee, _m in CATALOG
    }
    patients = _patients(location, rng)
    today = today or datetime.now(ZoneInfo(location["timezone"])).date()
    treatment = demo_history.history(location, patients, fees, today, SEED)
    return {
        "format": importing.FORMAT,
        "practice": {
            "slug": slug,
            "name": location["name"],
            "timezone": location["timezone"],
            "organization": ORGANIZATION,
            "phone": location["phone"],
            "email": location["email"],
            "address": location["address"],
        },
        "staff": [
            {"ref": ref, "name": name, "email": f"{local}@{DOMAIN}", "role": str(roles[slug])}
            for ref, name, local, roles in STAFF
            if slug in roles
        ],
        "procedure_codes": [
            {"code": code, "description": description, "fee": fees[code], "minutes": minutes}
            for code, description, _fee, minutes in CATALOG
        ],
        "patients": patients,
        "plans": treatment.plans,
        "presentations": treatment.presentations,
        "decisions": treatment.decisions,
        "follow_ups": treatment.follow_ups,
        "completed": treatment.completed,
    }


def _patients(location: dict, rng: random.Random) -> list[dict]:
    count = location["patients"]
    # 555-0100 is the office; 555-0101..0199 are reserved for fiction, like the whole demo.
    line_numbers = rng.sample(range(101, 200), count)
    archived = rng.randrange(1, count)
    patients = []
    for index in range(count):
        if index == 0 and location["slug"] == "lakeside-downtown":
            # The patient of the format example: searchable by "maria gar" and 04/02/1979.
            first, last, birth = "Maria", "Garcia", date(1979, 4, 2)
        else:
            group = rng.choices(["child", "adult", "senior"], weights=[2, 6, 2])[0]
            first = rng.choice(FIRST_NAMES[group].split(", "))
            last = rng.choice(LAST_NAMES.split(", "))
            first_year, last_year = BIRTH_YEARS[group]
            start = date(first_year, 1, 1)
            birth = start + timedelta(days=rng.randrange((date(last_year, 12, 31) - start).days))
        patient = {
            "ref": f"{location['ref_prefix']}-{1001 + index}",
            "first_name": first,
            "last_name": last,
            "birth_date": birth.isoformat(),
            "phone": f"+1{location['area_code']}5550{line_numbers[index]}",
        }
        if first in NICKNAMES:
            patient["preferred_name"] = NICKNAMES[first]
        is_child = birth.year > 2007
        # Children have no email address of their own, and some adults give none.
        email = "" if is_child or rng.random() < 0.15 else _email(first, last, rng)
        email_consent = bool(email) and rng.random() < 0.8
        sms_consent = rng.random() < 0.6
        # Reached only the ways they agreed to; without email, one who takes texts wants texts.
        channels = ["phone"] + ["sms"] * sms_consent + ["email"] * email_consent
        patient.update(
            email=email,
            email_consent=email_consent,
            sms_consent=sms_consent,
            preferred_contact="sms" if sms_consent and not email else rng.choice(channels),
            best_time=rng.choice(["any", "any", "morning", "afternoon", "evening"]),
        )
        patient["unencrypted_email_consent"] = patient["email_consent"] and rng.random() < 0.3
        patient["archived"] = index == archived
        patients.append(patient)
    return patients


def _email(first: str, last: str, rng: random.Random) -> str:
    def plain(name: str) -> str:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return "".join(c for c in ascii_name.lower() if c.isalnum())

    style = rng.randrange(3)
    local = {
        0: f"{plain(first)}.{plain(last)}",
        1: f"{plain(first)[0]}{plain(last)}",
        2: f"{plain(first)}{rng.randrange(10, 99)}",
    }[style]
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


@dataclass
class DemoLoad:
    """What loading changed (nothing, the second time) and who can sign in."""

    created: int = 0
    updated: int = 0
    patients: int = 0
    logins: list[tuple[User, list[Membership], bool]] = field(default_factory=list)


@transaction.atomic
def load(today: date | None = None) -> DemoLoad:
    """Import the demo documents, then give every demo user the demo password and, where a
    second factor is required, an authenticator with the demo secret."""
    outcome = DemoLoad()
    for document in documents(today):
        plan, problems = importing.validate(document)
        if problems:
            raise ValueError("The demo data does not import: " + "; ".join(map(str, problems)))
        result = importing.apply(plan, system_actor=SYSTEM_ACTOR)
        outcome.created += sum(result.created.values())
        outcome.updated += sum(result.updated.values())
        outcome.updated += bool(result.practice_fields) and not result.created["practice"]
        outcome.patients += len(plan.patients)
    insurance_day = today or datetime.now(ZoneInfo(LOCATIONS[0]["timezone"])).date()
    outcome.created += insurance_demo.load(insurance_day, SEED)
    for location in LOCATIONS:
        practice = Practice.objects.get(slug=location["slug"])
        day = today or datetime.now(practice.tzinfo).date()
        outcome.created += _follow_ups(practice, day)
    emails = [f"{local}@{DOMAIN}" for _ref, _name, local, _roles in STAFF]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    # One fixed salt, so one slow hash serves every user and a rerun compares strings.
    password_hash = make_password(PASSWORD, salt=PASSWORD_SALT)
    for email in emails:
        user = users[email]
        if user.password != password_hash:
            user.password = password_hash
            user.save(update_fields=["password"])
            audit_record(action="user.password_set", system_actor=SYSTEM_ACTOR, obj=user)
            outcome.updated += 1
        if not user.is_active:  # deactivated while trying things out: the demo logins work again
            user.is_active = True
            user.save(update_fields=["is_active"])
            audit_record(action="user.reactivated", system_actor=SYSTEM_ACTOR, obj=user)
            outcome.updated += 1
        needs_code = user.requires_second_factor()
        if needs_code:
            outcome.updated += _ensure_authenticator(user)
        memberships = list(user.memberships.select_related("practice").order_by("practice__slug"))
        outcome.logins.append((user, memberships, needs_code))
    return outcome


def _follow_ups(practice: Practice, today: date) -> int:
    """Recently presented, undecided plans get their live follow-up (through `follow_up_start`,
    as presenting in the app does), once; the history's touches answer the steps they match.
    Returns how many follow-ups were started."""
    with scope(practice=practice):
        since = datetime.combine(
            today - timedelta(days=FOLLOW_UP_DAYS), datetime.min.time(), practice.tzinfo
        )
        plans = (
            TreatmentPlan.objects.filter(
                practice=practice,
                closed_at__isnull=True,
                status__in=OPEN_STATUSES,
                presentations__at__gte=since,
            )
            .exclude(follow_ups__isnull=False)
            .distinct()
            .order_by("first_presented_at", "ref")
        )
        started = 0
        for plan in plans:
            if not followup_services.needs_follow_up(plan):
                continue
            shown = plan.presentations.select_related("presented_by").order_by("-at").first()
            followup_services.follow_up_start(
                plan=plan, owner=shown.presented_by, anchor_at=shown.at
            )
            _answer_steps(practice)
            deferral = (
                Decision.objects.filter(
                    practice=practice, procedure__option__plan=plan, at__gt=shown.at
                )
                .order_by("-at")
                .first()
            )
            if deferral is not None and deferral.kind == DecisionKind.DEFERRED:
                followup_services.follow_up_after_decision(
                    plan=plan, by=None, at=deferral.at, kind=deferral.kind, reason=deferral.reason
                )
            _call_back(plan, since=shown.at, today=today)
            started += 1
        _answer_steps(practice)
    return started


def _call_back(plan: TreatmentPlan, *, since: datetime, today: date) -> None:
    """A call that reached only the voicemail gets a call-back a week later, brought forward to
    today when that is past: the queue has calls for today."""
    missed = (
        Touch.objects.filter(
            practice=plan.practice,
            plan=plan,
            channel=Channel.CALL,
            outcome__in=(TouchOutcome.VOICEMAIL, TouchOutcome.NO_ANSWER),
            at__gte=since,
        )
        .order_by("-at")
        .first()
    )
    follow_up = FollowUp.objects.filter(plan=plan, status=FollowUpStatus.ACTIVE).first()
    if missed is None or follow_up is None:
        return
    day = max(missed.at.astimezone(plan.practice.tzinfo).date() + timedelta(days=7), today)
    Reminder.objects.create(
        practice=plan.practice,
        plan=plan,
        follow_up=follow_up,
        kind=ReminderKind.CALL_BACK,
        channel=Channel.CALL,
        due_at=datetime(day.year, day.month, day.day, CALL_BACK_HOUR, tzinfo=plan.practice.tzinfo),
        assigned_to=follow_up.owner,
        note=f"No answer on {missed.at.astimezone(plan.practice.tzinfo):%b %-d}: try again.",
    )


def _answer_steps(practice: Practice) -> None:
    """An imported touch on a step's day, by the step's channel, is that step done (a call) or
    sent (an email or text): the worker does not send it again."""
    reminders = list(
        Reminder.objects.filter(
            practice=practice,
            follow_up__status=FollowUpStatus.ACTIVE,
            kind=ReminderKind.STEP,
            status__in=(ReminderStatus.PENDING, ReminderStatus.QUEUED, ReminderStatus.SKIPPED),
        )
    )
    if not reminders:
        return
    touches = {}
    for touch in Touch.objects.filter(
        practice=practice, plan_id__in={r.plan_id for r in reminders}, reminder__isnull=True
    ).exclude(ref=""):
        touches[(touch.plan_id, touch.channel, touch.at.astimezone(practice.tzinfo).date())] = touch
    for reminder in reminders:
        day = reminder.due_at.astimezone(practice.tzinfo).date()
        touch = touches.pop((reminder.plan_id, reminder.channel, day), None)
        if touch is None:
            continue
        done = ReminderStatus.DONE if reminder.channel == Channel.CALL else ReminderStatus.SENT
        Reminder.objects.filter(pk=reminder.pk).update(status=done, sent_at=touch.at, note="")
        Touch.objects.filter(pk=touch.pk).update(reminder=reminder)


def _ensure_authenticator(user: User) -> bool:
    """A confirmed device with the demo secret; True when something had to change."""
    key = b32decode(TOTP_SECRET).hex()
    device = TOTPDevice.objects.filter(user=user, name=TOTP_DEVICE_NAME).first()
    if device is None:
        TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
        audit_record(action="auth.second_factor_enrolled", system_actor=SYSTEM_ACTOR, obj=user)
        return True
    wanted = {"key": key, "confirmed": True, "throttling_failure_count": 0}
    changed = [name for name, value in wanted.items() if getattr(device, name) != value]
    if changed:
        for name in changed:
            setattr(device, name, wanted[name])
        device.save(update_fields=changed)
    return bool(changed)


def current_code(email: str) -> str:
    """The code a demo user's authenticator shows now; LookupError for anyone else."""
    device = TOTPDevice.objects.filter(
        user__email=email.strip().lower(), name=TOTP_DEVICE_NAME, confirmed=True
    ).first()
    if device is None:
        raise LookupError(email)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
