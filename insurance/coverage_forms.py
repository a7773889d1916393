"""Parsing and validating what is typed or uploaded on a patient's insurance pages: coverage,
history entries, eligibility answers (a 271 file, or a phone call)."""

import datetime

from django import forms
from django.utils import timezone

from insurance import selectors as plan_selectors
from insurance.forms import amount_field, clean_code, code_field
from insurance.models import GroupPlan, HistoryKind, Relationship
from patients import selectors as patient_selectors
from patients.models import Patient
from plans.catalog_import import ImportFileError, decode
from plans.models import Area

SEARCH_RESULTS = 20
MAX_271_BYTES = 256 * 1024
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]


def date_field(**kwargs) -> forms.DateField:
    return forms.DateField(
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def _plain_text(value: str) -> str:
    value = value.strip()
    if any(ord(char) < 32 and char not in "\r\n\t" for char in value):
        raise forms.ValidationError("Remove the control characters.")
    return value


def plan_label(group_plan: GroupPlan) -> str:
    parts = [group_plan.carrier.name, group_plan.employer, group_plan.group_number]
    if group_plan.name:
        parts.append(group_plan.name)
    return " · ".join(part for part in parts if part)


def patient_label(patient: Patient) -> str:
    born = f", born {patient.birth_date:%m/%d/%Y}" if patient.birth_date else ""
    return f"{patient.last_name}, {patient.first_name}{born}"


class MemberFields(forms.Form):
    member_id = forms.CharField(
        label="Member ID",
        max_length=80,
        required=False,
        help_text="As printed on the subscriber's card.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    effective_date = date_field(
        label="Coverage began", required=False, help_text="Waiting periods count from this day."
    )

    def clean_member_id(self) -> str:
        return _plain_text(self.cleaned_data["member_id"])


class CoverageAddForm(MemberFields):
    """A group plan found by employer, group number or carrier; the subscriber is the patient
    or another patient of the practice (found by name or birth date)."""

    group_plan = forms.ModelChoiceField(
        queryset=GroupPlan.objects.none(),
        label="Group plan",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the group plan (search above if it is not listed).",
            "invalid_choice": "That group plan is not available: search again.",
        },
    )
    subscriber = forms.ModelChoiceField(
        queryset=Patient.objects.none(),
        label="Subscriber (policy holder)",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "That patient is not available: search again."},
    )
    relationship = forms.ChoiceField(
        label="The patient is the subscriber's",
        choices=Relationship.choices,
        initial=Relationship.SELF,
    )
    field_order = ["group_plan", "subscriber", "relationship", "member_id", "effective_date"]

    def __init__(
        self,
        data=None,
        *,
        practice,
        patient: Patient,
        plan_query: str = "",
        subscriber_query: str = "",
    ):
        super().__init__(data, initial={"subscriber": patient.pk})
        self.patient = patient
        plans = GroupPlan.objects.filter(practice=practice, is_active=True).select_related(
            "carrier"
        )
        people = Patient.objects.filter(practice=practice, archived_at__isnull=True)
        self.fields["group_plan"].queryset = plans
        self.fields["subscriber"].queryset = people
        found_plans = list(
            plan_selectors.group_plan_list(practice=practice, query=plan_query)[:SEARCH_RESULTS]
        )
        self.plans_found = len(found_plans)
        found_people = []
        if subscriber_query.strip():
            found_people = list(
                patient_selectors.patient_list(practice=practice, query=subscriber_query).exclude(
                    pk=patient.pk
                )[:SEARCH_RESULTS]
            )
        self.people_found = len(found_people)
        # What was chosen stays offered when the page comes back with an error.
        chosen_plan = self._chosen(plans, "group_plan")
        if chosen_plan and chosen_plan not in found_plans:
            found_plans.insert(0, chosen_plan)
        chosen_person = self._chosen(people, "subscriber")
        if chosen_person and chosen_person != patient and chosen_person not in found_people:
            found_people.insert(0, chosen_person)
        self.fields["group_plan"].widget.choices = [(p.pk, plan_label(p)) for p in found_plans]
        self.fields["subscriber"].widget.choices = [
            (patient.pk, f"{patient.full_name} (this patient is the subscriber)"),
            *((p.pk, patient_label(p)) for p in found_people),
        ]

    def _chosen(self, queryset, name: str):
        value = self.data.get(name) if self.is_bound else None
        if not value:
            return None
        try:
            return queryset.filter(pk=value).first()
        except (ValueError, forms.ValidationError):
            return None

    def clean(self) -> dict:
        data = super().clean()
        subscriber = data.get("subscriber")
        if subscriber is None:
            return data
        if subscriber.pk == self.patient.pk:
            data["relationship"] = Relationship.SELF
        elif data.get("relationship") == Relationship.SELF:
            self.add_error(
                "relationship",
                "Only the subscriber is “self”: choose spouse, child or other.",
            )
        return data


class CoverageEditForm(MemberFields):
    relationship = forms.ChoiceField(
        label="The patient is the subscriber's", choices=Relationship.choices
    )

    def __init__(self, data=None, *, coverage):
        subscription = coverage.subscription
        super().__init__(
            data,
            initial={
                "member_id": subscription.member_id,
                "effective_date": subscription.effective_date,
                "relationship": coverage.relationship,
            },
        )
        if coverage.patient_id == subscription.subscriber_id:
            # The subscriber's own coverage is "self", always.
            del self.fields["relationship"]
        else:
            self.fields["relationship"].choices = [
                choice for choice in Relationship.choices if choice[0] != Relationship.SELF
            ]


class CoverageEndForm(forms.Form):
    ended_on = date_field(
        label="Coverage ended on",
        required=False,
        help_text="Leave empty to put the coverage back in force.",
    )

    def __init__(self, data=None, *, coverage, today: datetime.date):
        super().__init__(data, initial={"ended_on": coverage.subscription.ended_on or today})


class HistoryForm(forms.Form):
    """One entry of earlier usage; the model's rules (per kind) are checked by the service."""

    patient = forms.ChoiceField(label="Whose")
    kind = forms.ChoiceField(label="What", choices=HistoryKind.choices)
    code = code_field(label="Procedure code", required=False)
    service_date = date_field(label="Date of service")
    amount = amount_field(label="Plan paid", required=False)
    deductible = amount_field(label="Deductible applied", required=False)
    writeoff = amount_field(label="Write-off", required=False)
    tooth = forms.CharField(label="Tooth", max_length=2, required=False)
    surfaces = forms.CharField(label="Surfaces", max_length=5, required=False)
    area = forms.ChoiceField(
        label="Arch or quadrant", choices=[("", "—"), *Area.choices], required=False
    )
    note = forms.CharField(label="Note", max_length=300, required=False)

    def __init__(self, data=None, *, patients: list[Patient]):
        super().__init__(data, initial={"patient": str(patients[0].pk)} if patients else None)
        self.patients = {str(p.pk): p for p in patients}
        self.fields["patient"].choices = [(str(p.pk), p.full_name) for p in patients]

    def clean_code(self) -> str:
        value = self.cleaned_data["code"].strip()
        return clean_code(value) if value else ""

    def clean_tooth(self) -> str:
        return self.cleaned_data["tooth"].strip().upper()

    def clean_surfaces(self) -> str:
        return self.cleaned_data["surfaces"].strip().upper()

    def clean_note(self) -> str:
        return _plain_text(self.cleaned_data["note"])

    def clean_service_date(self) -> datetime.date:
        day = self.cleaned_data["service_date"]
        if day > timezone.localdate():
            raise forms.ValidationError("History is what already happened: not a future date.")
        return day

    def history_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["patient"] = self.patients[data["patient"]]
        for name in ("amount", "deductible"):
            if data[name] is None:
                data[name] = 0
        return data


class ResponseUploadForm(forms.Form):
    """A 271 as a file from the clearinghouse, or pasted from its portal."""

    file = forms.FileField(label="The 271 file", required=False)
    text = forms.CharField(
        label="Or paste the 271",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        upload, pasted = data.get("file"), (data.get("text") or "").strip()
        if upload and pasted:
            raise forms.ValidationError("Upload the file or paste the text, not both.")
        if not upload and not pasted:
            raise forms.ValidationError("Choose the 271 file, or paste its text.")
        if upload:
            if upload.size > MAX_271_BYTES:
                raise forms.ValidationError(
                    "The file is larger than an eligibility answer can be (256 KB)."
                )
            try:
                data["content"] = decode(upload.read())
            except ImportFileError as error:
                raise forms.ValidationError(str(error)) from None
            data["name"] = upload.name[:200]
        else:
            if len(pasted.encode()) > MAX_271_BYTES:
                raise forms.ValidationError(
                    "The text is longer than an eligibility answer can be (256 KB)."
                )
            data["content"] = pasted
            data["name"] = "pasted text"
        return data


class PhoneCheckForm(forms.Form):
    spoke_with = forms.CharField(label="Spoke with", max_length=200)
    reference_number = forms.CharField(label="Call reference number", max_length=80, required=False)
    checked_on = date_field(label="Date of the call")
    active = forms.TypedChoiceField(
        label="Coverage active",
        choices=[("yes", "Yes, active"), ("no", "No, not active")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    maximum_remaining = amount_field(label="Annual maximum remaining", required=False)
    deductible_remaining = amount_field(label="Deductible remaining", required=False)
    notes = forms.CharField(
        label="What they said",
        required=False,
        help_text="Frequencies, waiting periods, downgrades, the missing-tooth clause…",
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, data=None):
        super().__init__(data, initial={"checked_on": timezone.localdate()})

    def clean_spoke_with(self) -> str:
        return _plain_text(self.cleaned_data["spoke_with"])

    def clean_reference_number(self) -> str:
        return _plain_text(self.cleaned_data["reference_number"])

    def clean_notes(self) -> str:
        return _plain_text(self.cleaned_data["notes"])

    def clean_checked_on(self) -> datetime.date:
        day = self.cleaned_data["checked_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The call has happened: not a future date.")
        return day
