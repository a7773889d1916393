"""The dashboard's period and filters, and the goals form: parsing and validation only."""

import calendar
import datetime
from decimal import Decimal

from django import forms
from django.http import QueryDict

from metrics.models import PracticeGoals
from metrics.selectors import Period

PERIODS = (
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_year", "This year"),
    ("custom", "Custom dates"),
)
# Longest custom period: ten years is more history than any practice imports.
LONGEST = datetime.timedelta(days=3660)
FILTERS = ("period", "start", "end", "coordinator", "dentist")


def _month(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, 1), datetime.date(year, month, last)


def _shift_months(day: datetime.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _months(first: tuple[int, int], count: int) -> tuple[datetime.date, datetime.date]:
    start = _month(*first)[0]
    end = _month(*_shift_months(start, count - 1))[1]
    return start, end


def named_range(name: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The dates of a named period around `today` (the practice's local date)."""
    quarter_start = (today.year, (today.month - 1) // 3 * 3 + 1)
    if name == "this_month":
        return _month(today.year, today.month)
    if name == "last_month":
        return _month(*_shift_months(today, -1))
    if name == "this_quarter":
        return _months(quarter_start, 3)
    if name == "last_quarter":
        return _months(_shift_months(datetime.date(*quarter_start, 1), -3), 3)
    if name == "this_year":
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    raise ValueError(name)


def previous_range(
    name: str, start: datetime.date, end: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period before: the previous calendar month, quarter or year, or as many days."""
    if name in ("this_month", "last_month"):
        return _month(*_shift_months(start, -1))
    if name in ("this_quarter", "last_quarter"):
        return _months(_shift_months(start, -3), 3)
    if name == "this_year":
        return datetime.date(start.year - 1, 1, 1), datetime.date(start.year - 1, 12, 31)
    days = end - start + datetime.timedelta(days=1)
    return start - days, start - datetime.timedelta(days=1)


class PeriodForm(forms.Form):
    """Which period the figures cover, and whose; as of is always the practice's today."""

    period = forms.ChoiceField(choices=PERIODS, initial="this_month")
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    coordinator = forms.ChoiceField(required=False, label="Coordinator")
    dentist = forms.ChoiceField(required=False, label="Dentist")

    def __init__(self, data, *, staff, today: datetime.date):
        # No filters given: this month for the whole practice.
        if not any(data.get(name) for name in FILTERS):
            data = {"period": "this_month"}
        super().__init__(data)
        self.today = today
        self.staff = {str(user.pk): user for user in staff}
        choices = [("", "Everyone"), *((key, user.name) for key, user in self.staff.items())]
        self.fields["coordinator"].choices = choices
        self.fields["dentist"].choices = choices

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("period")
        if name is None:
            return cleaned
        if name != "custom":
            cleaned["start"], cleaned["end"] = named_range(name, self.today)
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", "Give the first day of the period.")
        if end is None and "end" not in self.errors:
            self.add_error("end", "Give the last day of the period.")
        if start and end:
            if end < start:
                self.add_error("end", "The period ends before it starts.")
            elif end - start > LONGEST:
                self.add_error("end", "Choose a period of ten years or less.")
            elif start > self.today:
                self.add_error("start", "The period starts after today: nothing has happened yet.")
        return cleaned

    def chosen(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"], self.today)

    def previous(self) -> Period:
        start, end = previous_range(
            self.cleaned_data["period"], self.cleaned_data["start"], self.cleaned_data["end"]
        )
        return Period(start, end, self.today)

    def member(self, name: str):
        return self.staff.get(self.cleaned_data.get(name) or "")

    def query(self, **changes) -> str:
        """The cleaned filters as a query string, for links that keep them."""
        values = {
            "period": self.cleaned_data["period"],
            "coordinator": self.cleaned_data.get("coordinator") or "",
            "dentist": self.cleaned_data.get("dentist") or "",
        }
        if values["period"] == "custom":
            values["start"] = self.cleaned_data["start"].isoformat()
            values["end"] = self.cleaned_data["end"].isoformat()
        values.update(changes)
        query = QueryDict(mutable=True)
        query.update({key: value for key, value in values.items() if value})
        return query.urlencode()


def _percent_text(fraction: Decimal) -> str:
    return f"{fraction * 100:.1f}".removesuffix(".0")


class GoalsForm(forms.ModelForm):
    """Goals typed as percentages, stored as fractions."""

    case_acceptance_rate = forms.DecimalField(
        label="Case acceptance goal (%)",
        min_value=1,
        max_value=100,
        decimal_places=1,
        max_digits=4,
        help_text="Value accepted out of value presented. Published targets range from 50% to 90%.",
    )
    presentation_rate = forms.DecimalField(
        label="Presentation rate goal (%)",
        required=False,
        min_value=1,
        max_value=100,
        decimal_places=1,
        max_digits=4,
        help_text="Cases presented out of cases diagnosed. Leave empty for no goal.",
    )
    follow_up_conversion_rate = forms.DecimalField(
        label="Follow-up conversion goal (%)",
        required=False,
        min_value=1,
        max_value=100,
        decimal_places=1,
        max_digits=4,
        help_text="Followed-up cases that went on to accept. Leave empty for no goal.",
    )

    class Meta:
        model = PracticeGoals
        fields = ("case_acceptance_rate", "presentation_rate", "follow_up_conversion_rate")

    def __init__(self, *args, instance: PracticeGoals, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        if not self.is_bound:
            for name in self.Meta.fields:
                value = getattr(instance, name)
                self.initial[name] = None if value is None else _percent_text(value)

    def _fraction(self, name: str) -> Decimal | None:
        value = self.cleaned_data.get(name)
        return None if value is None else (value / 100).quantize(Decimal("0.0001"))

    def clean_case_acceptance_rate(self):
        return self._fraction("case_acceptance_rate")

    def clean_presentation_rate(self):
        return self._fraction("presentation_rate")

    def clean_follow_up_conversion_rate(self):
        return self._fraction("follow_up_conversion_rate")
