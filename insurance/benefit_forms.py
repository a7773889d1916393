"""The form for one benefit row of a group plan, shaped by its kind.

Each kind asks only for what it uses (a coverage row: what it applies to and a percentage; a
frequency limit: codes, how many and how often). What it applies to is chosen in plain words —
the whole plan, a category or specific codes — and stored as the contract's scope text.
"""

import re

from django import forms

from insurance import scopes
from insurance.forms import amount_field
from insurance.models import (
    MAX_AGE,
    MAX_WAITING_MONTHS,
    Benefit,
    BenefitKind,
    BenefitLevel,
    BenefitPeriod,
    FrequencyArea,
)

# The standard table's code spans (contract §3.4), to say what each category holds.
CATEGORY_SPANS = {
    "general": "everything but orthodontics",
    "diagnostic": "D0000–D0999",
    "diagnostic_xray": "D0200–D0399",
    "preventive": "D1000–D1999",
    "restorative": "D2000–D2999",
    "endodontics": "D3000–D3999",
    "periodontics": "D4000–D4999",
    "oral_surgery": "D7000–D7999",
    "crowns": "D2700–D2799",
    "prosthodontics": "D5000–D5899, D6200–D6999",
    "maxillofacial_prosthetics": "D5900–D5999",
    "implants": "D6000–D6199",
    "orthodontics": "D8000–D8999",
    "adjunctive": "D9000–D9999",
}
CODES = "codes"
PERIOD_CHOICES = [
    ("calendar_year", "Per calendar year"),
    ("benefit_year", "Per benefit year"),
    ("last_12_months", "In the last 12 months"),
    ("months", "Once every … months"),
    ("years", "Once every … years"),
]
# Form fields each kind shows, besides what it applies to and the note.
KIND_FIELDS = {
    BenefitKind.COVERAGE: ("percent",),
    BenefitKind.DEDUCTIBLE: ("amount", "level", "period"),
    BenefitKind.MAXIMUM: ("amount", "level", "period"),
    BenefitKind.FREQUENCY: ("count", "per", "per_count", "area"),
    BenefitKind.AGE_LIMIT: ("max_age",),
    BenefitKind.WAITING_PERIOD: ("months",),
    BenefitKind.EXCLUSION: (),
}
# Where the model's errors go on this form.
MODEL_TO_FORM = {"scope": CODES, "per": "per"}


def _scope_choices(kind: str) -> list[tuple[str, str]]:
    general = [] if kind == BenefitKind.EXCLUSION else [("general", "The whole plan")]
    categories = [
        (f"category:{name}", f"{scopes.category_label(name)} ({CATEGORY_SPANS[name]})")
        for name in scopes.CATEGORIES
    ]
    return [*general, *categories, (CODES, "Specific codes (below)")]


class BenefitForm(forms.Form):
    applies_to = forms.ChoiceField(label="Applies to")
    codes = forms.CharField(
        required=False,
        max_length=scopes.MAX_SCOPE_LENGTH,
        label="Codes",
        help_text="One code (D2740) or several separated by commas (D0120, D0150).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    percent = forms.IntegerField(
        min_value=0, max_value=100, label="Plan pays (%)", help_text="0 to 100."
    )
    amount = amount_field(label="Amount ($)")
    level = forms.ChoiceField(
        choices=BenefitLevel.choices, initial=BenefitLevel.INDIVIDUAL, label="For"
    )
    period = forms.ChoiceField(
        choices=BenefitPeriod.choices, initial=BenefitPeriod.BENEFIT_YEAR, label="Per"
    )
    count = forms.IntegerField(min_value=1, max_value=99, initial=1, label="How many")
    per = forms.ChoiceField(choices=PERIOD_CHOICES, label="How often")
    per_count = forms.IntegerField(
        min_value=1,
        max_value=scopes.MAX_PERIOD_COUNT,
        required=False,
        label="Every how many months or years",
        help_text="Only for “once every … months/years”.",
    )
    area = forms.ChoiceField(
        choices=[
            ("", "The same site (tooth and surfaces, arch or quadrant)"),
            *FrequencyArea.choices,
        ],
        required=False,
        label="Counted",
    )
    max_age = forms.IntegerField(
        min_value=0,
        max_value=MAX_AGE,
        label="Covered through age",
        help_text="A patient older than this on the date of service is not covered.",
    )
    months = forms.IntegerField(
        min_value=1,
        max_value=MAX_WAITING_MONTHS,
        label="Months after coverage starts",
    )
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, data=None, *, kind: str, benefit: Benefit | None = None):
        self.kind = kind
        super().__init__(data, initial=_initial(benefit) if benefit else None)
        shown = {"applies_to", CODES, *KIND_FIELDS[kind], "note"}
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        if kind == BenefitKind.FREQUENCY:
            # A frequency limit always names codes: there is nothing to choose.
            del self.fields["applies_to"]
            self.fields[CODES].required = True
        else:
            self.fields["applies_to"].choices = _scope_choices(kind)
        if kind == BenefitKind.EXCLUSION:
            self.fields["applies_to"].label = "Not covered"

    def clean_codes(self) -> str:
        return self.cleaned_data[CODES].replace("\x00", "").strip()

    def clean(self) -> dict:
        data = super().clean()
        applies_to = CODES if self.kind == BenefitKind.FREQUENCY else data.get("applies_to")
        if applies_to == CODES:
            codes = [code for code in re.split(r"[\s,;]+", data.get(CODES, "")) if code]
            if not codes:
                self.add_error(CODES, "List the codes this applies to.")
                return data
            text = f"code:{codes[0]}" if len(codes) == 1 else f"code_group:{','.join(codes)}"
        elif applies_to:
            if data.get(CODES):
                self.add_error(CODES, "Codes are only for “Specific codes”: leave this empty.")
            text = applies_to
        else:
            return data
        try:
            data["scope"] = scopes.normalize_scope(self.kind, text)
        except ValueError as error:
            self.add_error(CODES if applies_to == CODES else "applies_to", _sentence(error))
        if "per" in self.fields and data.get("per") in ("months", "years"):
            if data.get("per_count") is None:
                if "per_count" not in self.errors:
                    self.add_error("per_count", "How many months or years?")
            else:
                data["per"] = f"{data['per']}:{data['per_count']}"
        return data

    def benefit_data(self) -> dict:
        """The row's values as the model stores them."""
        data = {"scope": self.cleaned_data["scope"], "note": self.cleaned_data.get("note", "")}
        for name in KIND_FIELDS[self.kind]:
            if name != "per_count":
                data[name] = self.cleaned_data.get(name)
        if "area" in data and data["area"] is None:
            data["area"] = ""
        return data


def _sentence(error: ValueError) -> str:
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def _initial(benefit: Benefit) -> dict:
    initial = {
        name: getattr(benefit, name)
        for name in ("percent", "amount", "level", "period", "count", "area", "max_age", "months")
    }
    initial["note"] = benefit.note
    try:
        scope = scopes.parse_scope(benefit.scope)
    except ValueError:
        scope = None
    if scope is None or scope.kind in (scopes.ScopeKind.CODE, scopes.ScopeKind.CODE_GROUP):
        initial["applies_to"] = CODES
        initial[CODES] = ", ".join(scope.codes) if scope else benefit.scope
    else:
        initial["applies_to"] = str(scope)
    unit, _, count = benefit.per.partition(":")
    initial["per"] = unit
    initial["per_count"] = int(count) if count else None
    return initial
