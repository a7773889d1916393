"""Parsing what staff enter in the follow-up queue: a call's outcome, and who takes a call over."""

import datetime

from django import forms

from coordinator.models import User
from plans.followup_models import TouchOutcome
from plans.forms import DECISION_REASONS

# How far ahead a call-back may be set.
MAX_CALL_BACK_DAYS = 365


class CallOutcome:
    """What the caller picks: a touch outcome, or one that also records the patient's decision."""

    REACHED = TouchOutcome.REACHED.value
    VOICEMAIL = TouchOutcome.VOICEMAIL.value
    NO_ANSWER = TouchOutcome.NO_ANSWER.value
    CALL_BACK = "call_back"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DEFERRED = "deferred"

    LABELS = {
        REACHED: "Reached",
        VOICEMAIL: "Voicemail",
        NO_ANSWER: "No answer",
        CALL_BACK: "Call back",
        ACCEPTED: "Accepted",
        DECLINED: "Declined",
        DEFERRED: "Not now",
    }
    # Outcomes that record a decision on the plan (PLANS_DECIDE).
    DECISIONS = frozenset({ACCEPTED, DECLINED, DEFERRED})


class OutcomeForm(forms.Form):
    """One submit button per outcome (`outcome` is the one pressed); reason and date ride along."""

    outcome = forms.ChoiceField(
        choices=list(CallOutcome.LABELS.items()),
        error_messages={"required": "Pick what happened on the call."},
    )
    reason = forms.ChoiceField(
        choices=[("", "Why?"), *DECISION_REASONS], required=False, label="Reason"
    )
    call_back_on = forms.DateField(
        required=False,
        label="Call back on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date such as 2025-03-14."},
    )
    note = forms.CharField(
        max_length=500, required=False, label="Note", widget=forms.TextInput(attrs={"size": 30})
    )

    def __init__(self, data=None, *, can_decide: bool, today: datetime.date, key: str = ""):
        # `key` keeps ids unique when several rows' forms are open at once.
        super().__init__(data, auto_id=f"id_{key}_%s" if key else "id_%s")
        self.can_decide = can_decide
        self.today = today
        if not can_decide:
            self.fields["outcome"].choices = [
                (value, label)
                for value, label in CallOutcome.LABELS.items()
                if value not in CallOutcome.DECISIONS
            ]
            self.fields["outcome"].error_messages["invalid_choice"] = (
                "Your role cannot record the patient's decision: log “Reached” with a note "
                "and ask a coordinator to record it."
            )
        self.fields["call_back_on"].widget.attrs.update(
            {
                "min": today.isoformat(),
                "max": (today + datetime.timedelta(days=MAX_CALL_BACK_DAYS)).isoformat(),
            }
        )

    def clean(self) -> dict:
        data = super().clean()
        outcome = data.get("outcome")
        asks_reason = outcome in (CallOutcome.DECLINED, CallOutcome.DEFERRED)
        if asks_reason and not data.get("reason"):
            self.add_error("reason", "Say why: the reason decides the next follow-up.")
        if outcome == CallOutcome.CALL_BACK:
            day = data.get("call_back_on")
            if day is None and "call_back_on" not in self.errors:
                self.add_error("call_back_on", "Pick the day to call back.")
            elif day is not None and day < self.today:
                self.add_error("call_back_on", "That day has passed: pick today or later.")
            elif day is not None and day > self.today + datetime.timedelta(days=MAX_CALL_BACK_DAYS):
                self.add_error("call_back_on", "Pick a day within the next year.")
        if not asks_reason:
            data["reason"] = ""
        if outcome != CallOutcome.CALL_BACK:
            data["call_back_on"] = None
        return data


class StaffChoiceField(forms.ChoiceField):
    """A staff member who works the queue, from a list built once per page."""

    def __init__(self, *, staff: list[User], **kwargs) -> None:
        self.staff = {str(user.pk): user for user in staff}
        choices = [(pk, user.name or user.email) for pk, user in self.staff.items()]
        super().__init__(choices=[("", "Choose someone"), *choices], **kwargs)

    def clean(self, value) -> User:
        return self.staff[super().clean(value)]


class ReassignForm(forms.Form):
    def __init__(
        self, data=None, *, staff: list[User], initial_user: User | None = None, key: str = ""
    ):
        super().__init__(
            data,
            initial={"to": str(initial_user.pk)} if initial_user else None,
            auto_id=f"id_{key}_%s" if key else "id_%s",
        )
        self.fields["to"] = StaffChoiceField(staff=staff, label="Give to")
