"""Parsing and checking what an office manager types for cadences and their steps.

Message templates may use three fields, {first_name}, {practice} and {plan_link}, and nothing
else: emails and texts go out unencrypted, so they never carry treatment or amounts (the plan
link, behind the patient's date of birth, does).
"""

import re

from django import forms

from plans.followup_models import Channel, StepAnchor
from plans.forms import DECISION_REASONS

FIELDS = ("first_name", "practice", "plan_link")
FIELD_LIST = "{first_name}, {practice} and {plan_link}"
_FIELD = re.compile(r"\{([^{}]*)\}")
STEP_CHANNELS = [(Channel.CALL.value, "Call (in the owner's queue)")] + [
    (c.value, f"{c.label} (sent automatically)") for c in (Channel.EMAIL, Channel.SMS)
]
MAX_DAYS = 730
MAX_BODY = 2000
# Two text messages' worth: longer texts are split and cost more, and patients skim them.
MAX_SMS = 320
SAMPLE_FIRST_NAME = "Maria"
SAMPLE_LINK = "https://coordinator.example/plan/SAMPLE-LINK"

# Words that name treatment; a message containing them is flagged (not refused: "bridge" may be
# a street name).
_TREATMENT_WORDS = re.compile(
    r"\b(crowns?|implants?|root canals?|fillings?|extractions?|bridges?|dentures?|veneers?|"
    r"scaling|periodontal|surgery|orthodontic|braces|cavity|cavities|invisalign)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"[$€£]\s*\d|\b\d+[.,]\d{2}\b|\b\d+\s*(dollars|usd)\b", re.IGNORECASE)


def template_problems(text: str) -> list[str]:
    """Why a message template cannot be used (unknown fields, stray braces); empty if fine."""
    problems = []
    unknown = [name for name in _FIELD.findall(text) if name not in FIELDS]
    if unknown:
        shown = ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))
        problems.append(
            f"Unknown field{'s' if len(unknown) > 1 else ''} {shown}: use only {FIELD_LIST}."
        )
    if "{" in _FIELD.sub("", text) or "}" in _FIELD.sub("", text):
        problems.append(f"Braces are only for the fields {FIELD_LIST}.")
    return problems


def content_warnings(*texts: str) -> list[str]:
    """What in a message looks like treatment or an amount (shown, not refused)."""
    text = "\n".join(texts)
    warnings = []
    words = sorted({word.lower() for word in _TREATMENT_WORDS.findall(text)})
    if words:
        warnings.append(
            f"It seems to name treatment ({', '.join(words)}): messages go out unencrypted, "
            "so leave the details to the plan link."
        )
    if _AMOUNT.search(text):
        warnings.append("It seems to contain an amount: leave amounts to the plan link.")
    return warnings


class CadenceForm(forms.Form):
    name = forms.CharField(max_length=100)
    reasons = forms.MultipleChoiceField(
        choices=DECISION_REASONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Starts when a patient declines or defers because of",
        help_text="A reason starts at most one active cadence.",
    )
    is_default = forms.BooleanField(
        required=False,
        label="Default: starts when a plan is presented",
        help_text="One cadence is the default; choosing this one replaces the current default.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the cadence a name.")
        return name


class StepForm(forms.Form):
    days = forms.IntegerField(min_value=0, max_value=MAX_DAYS, label="Days")
    after = forms.ChoiceField(choices=StepAnchor.choices, label="Counted")
    channel = forms.ChoiceField(choices=STEP_CHANNELS, label="How")
    subject = forms.CharField(
        max_length=150, required=False, help_text="Emails only.", label="Subject"
    )
    body = forms.CharField(
        max_length=MAX_BODY,
        required=False,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            f"Fields: {FIELD_LIST}. For a call, what to talk about (shown to the caller). "
            "Never name treatment or amounts: emails and texts go out unencrypted."
        ),
    )

    def __init__(self, data=None, *, first: bool, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.first = first

    def _clean_template(self, name: str) -> str:
        text = self.cleaned_data[name].strip().replace("\r\n", "\n")
        problems = template_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_subject(self) -> str:
        return self._clean_template("subject")

    def clean_body(self) -> str:
        return self._clean_template("body")

    def clean(self) -> dict:
        data = super().clean()
        channel = data.get("channel")
        if self.first and data.get("after") == StepAnchor.PREVIOUS:
            self.add_error("after", "The first step counts from the presentation.")
        if channel == Channel.EMAIL:
            if "subject" in data and not data["subject"]:
                self.add_error("subject", "An email needs a subject.")
        elif "subject" in data:
            data["subject"] = ""
        if channel in (Channel.EMAIL, Channel.SMS) and "body" in data and not data["body"]:
            self.add_error("body", "Write the message the patient receives.")
        if channel == Channel.SMS and len(data.get("body", "")) > MAX_SMS:
            self.add_error("body", f"A text message is at most {MAX_SMS} characters.")
        return data
