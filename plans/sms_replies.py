"""What a patient texts back to the practice's sending number: STOP, START, or a reply.

Texts go out from one number for the whole installation (SMS_FROM_NUMBER), so a text that comes
back cannot name a practice. Decisions:
- STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, "opt out"; also as the first
  word of a longer text) turns off text consent for every patient with that phone number, in
  every practice: the person asked this number to stop, and every practice texts from it. It
  also opts those patients out of reminders, which stops their follow-ups. (Were each practice
  to get a number of its own, the `To` number would narrow this to that practice.)
- START or UNSTOP (the whole text) turns text consent back on for those patients and clears
  their reminder opt-out: the latest explicit request wins. Stopped follow-ups stay stopped; a
  coordinator restarts one if it is still wanted. "YES" is a reply, not a re-subscription.
- Anything else is a reply to the last reminder texted to that number: it is recorded on that
  plan's timeline, which stops its follow-up.
"""

import logging
import re

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.audit import audit_record
from coordinator.phones import normalize_phone
from patients.models import Patient
from plans.followup_models import Channel, Reminder, ReminderStatus, TouchOutcome
from plans.followup_services import patient_opt_out, touch_record

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "sms:inbound"
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "UNSTOP"})


def keyword(body: str) -> str:
    """ "stop" for an opt-out, "start" for an opt-in, "" for anything else."""
    words = re.sub(r"[^A-Z ]+", " ", body.upper()).split()
    if not words:
        return ""
    if words[0] in STOP_WORDS or words[:2] == ["OPT", "OUT"]:
        return "stop"
    if len(words) == 1 and words[0] in START_WORDS:
        return "start"
    return ""


def _patients(phone: str) -> list[Patient]:
    return list(
        Patient.objects.filter(phone=phone).select_related("practice").order_by("practice", "pk")
    )


def _consent_changed(patient: Patient, action: str) -> None:
    audit_record(
        action=action,
        practice=patient.practice,
        system_actor=SYSTEM_ACTOR,
        obj=patient,
        patient_id=patient.pk,
    )


@transaction.atomic
def sms_received(*, from_number: str, body: str) -> str:
    """Act on one inbound text; returns "stop", "start", "reply" or "ignored"."""
    try:
        phone = normalize_phone(from_number)
    except ValueError:
        return "ignored"
    kind = keyword(body)
    with scopes_disabled():  # by the decision above, a phone number spans practices
        if kind == "stop":
            for patient in _patients(phone):
                if patient.sms_consent:
                    patient.sms_consent = False
                    patient.save(update_fields=["sms_consent", "updated_at"])
                    _consent_changed(patient, "patient.sms_consent_withdrawn")
                patient_opt_out(patient=patient, source="sms_stop")
            return "stop"
        if kind == "start":
            for patient in _patients(phone):
                if not patient.sms_consent or patient.reminders_opted_out_at is not None:
                    patient.sms_consent = True
                    patient.reminders_opted_out_at = None
                    patient.save(
                        update_fields=["sms_consent", "reminders_opted_out_at", "updated_at"]
                    )
                    _consent_changed(patient, "patient.sms_consent_given")
            return "start"
        last = (
            Reminder.objects.filter(
                channel=Channel.SMS, status=ReminderStatus.SENT, plan__patient__phone=phone
            )
            .select_related("plan__practice")
            .order_by("-sent_at")
            .first()
        )
        if last is None:
            logger.info("A text from a number we did not text; nothing recorded.")
            return "ignored"
        touch_record(
            plan=last.plan,
            channel=Channel.SMS,
            outcome=TouchOutcome.REPLIED,
            by=None,
            at=timezone.now(),
            note=body.strip()[:500],
        )
        return "reply"
