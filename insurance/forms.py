"""Parsing and validating what is typed or uploaded for carriers, group plans, downgrades and
fee schedules. Benefit rows have their own module, insurance/benefit_forms.py."""

import calendar

from django import forms
from django.utils import timezone

from coordinator.models import Practice
from coordinator.money import MAX_FEE
from coordinator.phones import normalize_phone
from insurance import selectors
from insurance.fee_import import MAX_BYTES, FeeRow, read_fee_file
from insurance.models import Carrier, DowngradeWhen, GroupPlan
from plans.catalog_forms import FEE_ERRORS
from plans.catalog_import import ImportFileError, parse_code

MONTHS = [(number, calendar.month_name[number]) for number in range(1, 13)]
# The plan-level overrides of practice settings (contract §3.5): None follows the practice.
OVERRIDES = (
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
)
OVERRIDE_LABELS = {
    "zero_writeoff_when_max_reached": "No write-off once the maximum is used up",
    "zero_writeoff_on_frequency_or_age_limit": (
        "No write-off when a frequency or age limit denies a procedure"
    ),
    "office_fee_for_exclusions": "Charge the office fee for excluded procedures",
}


def _no_control_characters(value: str) -> str:
    value = value.strip()
    if any(ord(char) < 32 and char not in "\r\n\t" for char in value):
        raise forms.ValidationError("Remove the control characters.")
    return value


def code_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        max_length=5,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "size": 6}
        ),
        **kwargs,
    )


def clean_code(value: str) -> str:
    try:
        return parse_code(value)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from None


def amount_field(**kwargs) -> forms.DecimalField:
    # A text box, not type=number: the browser must not silently drop "12,50" before we see it.
    return forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=MAX_FEE,
        error_messages={
            **FEE_ERRORS,
            "min_value": "An amount cannot be negative.",
            "max_value": "That amount is too large.",
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class ParseOnlyModelForm(forms.ModelForm):
    """Fields, labels and choices from the model, but the form only parses: the service copies
    the values onto the row and validates the row (the ModelForm would change the instance
    first, hiding what changed, and validate it without its practice)."""

    def _post_clean(self) -> None:
        pass


class CarrierForm(ParseOnlyModelForm):
    class Meta:
        model = Carrier
        fields = ["name", "payer_id", "phone", "coinsurance_inverted", "is_active"]
        labels = {
            "payer_id": "Payer ID",
            "coinsurance_inverted": "Reports the plan's share as coinsurance",
            "is_active": "Active (offered for new group plans)",
        }
        help_texts = {
            "payer_id": "The carrier's electronic payer ID for claims and eligibility checks.",
            "coinsurance_inverted": (
                "Tick if this carrier's eligibility answers give the percentage the plan pays "
                "where others give the patient's share."
            ),
        }

    def __init__(self, data=None, *, carrier: Carrier | None = None):
        super().__init__(data, instance=carrier)
        if carrier is None:
            del self.fields["is_active"]

    def clean_name(self) -> str:
        return _no_control_characters(self.cleaned_data["name"])

    def clean_payer_id(self) -> str:
        return self.cleaned_data["payer_id"].strip().upper()

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def carrier_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class GroupPlanForm(ParseOnlyModelForm):
    carrier = forms.ModelChoiceField(queryset=Carrier.objects.none(), empty_label=None)
    renewal_month = forms.TypedChoiceField(
        choices=MONTHS,
        coerce=int,
        initial=1,
        label="Benefit year starts in",
        help_text="January for a calendar-year plan.",
    )

    class Meta:
        model = GroupPlan
        fields = [
            "carrier",
            "employer",
            "group_number",
            "name",
            "plan_type",
            "cob_rule",
            "renewal_month",
            "missing_tooth_clause",
            "downgrades_enabled",
            "writeoff_on_downgraded",
            *OVERRIDES,
            "benefits_source",
            "benefits_updated_on",
            "notes",
            "is_active",
        ]
        labels = {
            "name": "Plan name",
            "plan_type": "Type",
            "cob_rule": "When this plan pays second",
            "missing_tooth_clause": "Missing-tooth clause",
            "downgrades_enabled": "Apply downgrades (alternate benefits)",
            "writeoff_on_downgraded": "Take the PPO write-off on downgraded procedures",
            "benefits_source": "Benefits come from",
            "benefits_updated_on": "Benefits checked on",
            "is_active": "Active (offered for new coverage)",
        }
        help_texts = {
            "name": "Optional: how the office refers to this plan.",
            "cob_rule": (
                "Standard: pays up to what the patient still owes. Basic: up to its own allowed "
                "amount minus what was paid. Carve-out: its own benefit minus what was paid."
            ),
            "missing_tooth_clause": (
                "The plan does not pay to replace a tooth lost before coverage started; "
                "estimates for bridges, implants and dentures carry a warning."
            ),
            "benefits_source": "Where the benefits below were last checked, and on which date.",
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "benefits_updated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, data=None, *, practice: Practice, group_plan: GroupPlan | None = None):
        super().__init__(data, instance=group_plan)
        self.fields["carrier"].queryset = selectors.carrier_choices(
            practice=practice, current=group_plan.carrier if group_plan else None
        )
        for name in OVERRIDES:
            current = "on" if getattr(practice, name) else "off"
            self.fields[name] = forms.TypedChoiceField(
                choices=[
                    ("", f"As the practice setting (now {current})"),
                    ("yes", "Yes, for this plan"),
                    ("no", "No, for this plan"),
                ],
                coerce=lambda value: {"yes": True, "no": False}.get(value),
                empty_value=None,
                required=False,
                label=OVERRIDE_LABELS[name],
                initial={True: "yes", False: "no"}.get(
                    getattr(group_plan, name) if group_plan else None, ""
                ),
            )
        if group_plan is None:
            del self.fields["is_active"]

    def sections(self) -> list[tuple[str, list]]:
        """The fields in the groups the page shows them in."""
        groups = [
            ("The plan", ("carrier", "employer", "group_number", "name", "plan_type")),
            (
                "How it pays",
                (
                    "cob_rule",
                    "renewal_month",
                    "missing_tooth_clause",
                    "downgrades_enabled",
                    "writeoff_on_downgraded",
                    *OVERRIDES,
                ),
            ),
            ("Where the benefits come from", ("benefits_source", "benefits_updated_on")),
            ("Notes", ("notes", "is_active")),
        ]
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in groups
        ]

    def clean_notes(self) -> str:
        return self.cleaned_data["notes"].strip()

    def clean_benefits_updated_on(self):
        day = self.cleaned_data["benefits_updated_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError("That date is in the future.")
        return day

    def clean(self) -> dict:
        data = super().clean()
        for name in ("employer", "group_number", "name"):
            if isinstance(data.get(name), str):
                data[name] = _no_control_characters(data[name])
        if not any(data.get(name) for name in ("employer", "group_number", "name")):
            self.add_error("employer", "Give the employer, the group number or a plan name.")
        return data

    def plan_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class GroupPlanCopyForm(forms.Form):
    """Who the copy is for: the rest comes from the plan it copies."""

    employer = forms.CharField(max_length=200, required=False)
    group_number = forms.CharField(max_length=50, required=False)
    name = forms.CharField(max_length=200, required=False, label="Plan name")

    def clean(self) -> dict:
        data = super().clean()
        for name in ("employer", "group_number", "name"):
            if isinstance(data.get(name), str):
                data[name] = _no_control_characters(data[name])
        if not any(data.get(name) for name in ("employer", "group_number", "name")):
            self.add_error("employer", "Give the employer, the group number or a plan name.")
        return data


class DowngradeForm(forms.Form):
    code = code_field(help_text="The procedure done, e.g. D2392.")
    to_code = code_field(label="Paid as", help_text="The cheaper code the plan pays, e.g. D2150.")
    when = forms.ChoiceField(choices=DowngradeWhen.choices, initial=DowngradeWhen.ALWAYS)

    def clean_code(self) -> str:
        return clean_code(self.cleaned_data["code"])

    def clean_to_code(self) -> str:
        return clean_code(self.cleaned_data["to_code"])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("code") and data.get("code") == data.get("to_code"):
            self.add_error("to_code", "A downgrade pays the code as a different code.")
        return data


class FeeSetForm(forms.Form):
    """One code's amount in one schedule; an empty amount removes the code (blank)."""

    code = code_field()
    amount = amount_field(required=False, help_text="Leave empty to remove the code.")

    def clean_code(self) -> str:
        return clean_code(self.cleaned_data["code"])


class FeeImportForm(forms.Form):
    file = forms.FileField(
        label="Fee file (CSV)",
        help_text=(
            "Columns: code, amount. Header row first; UTF-8 or Windows-1252; "
            f"at most {MAX_BYTES // 1024} KB."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    replace = forms.BooleanField(
        required=False,
        label="Replace the whole schedule",
        help_text="Codes on file that the file does not list are removed. Otherwise they stay.",
    )

    def clean_file(self) -> list[FeeRow]:
        upload = self.cleaned_data["file"]
        self.file_name = upload.name[:100]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // 1024} KB; the limit is {MAX_BYTES // 1024} KB."
            )
        try:
            return read_fee_file(upload.read(MAX_BYTES + 1))
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from None
