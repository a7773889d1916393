"""Parsing and validating what staff type about a patient."""

from django import forms
from django.forms.models import model_to_dict
from django.utils import timezone

from coordinator.phones import display_phone, normalize_phone
from patients.models import ContactChannel, Patient
from patients.services import EDITABLE_FIELDS


class PatientForm(forms.ModelForm):
    unencrypted_email_consent = forms.BooleanField(
        required=False,
        label="May receive documents (plan PDFs) by ordinary email",
        help_text="Ordinary email is not encrypted. Ask the patient and record their answer.",
    )
    # Typed formats are longer than the stored E.164 form, so the field is wider than the column.
    phone = forms.CharField(
        max_length=40,
        required=False,
        help_text="Any format, e.g. (312) 555-0100; +country code if abroad.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    confirm_not_duplicate = forms.BooleanField(
        required=False, label="This is a different person: save anyway"
    )

    class Meta:
        model = Patient
        fields = EDITABLE_FIELDS
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        labels = {
            "email_consent": "May be contacted by email",
            "sms_consent": "May be sent text messages",
            "preferred_contact": "Prefers to be reached by",
            "best_time": "Best time to reach",
        }

    def __init__(self, data=None, *, patient: Patient | None = None):
        # The form validates into a throwaway instance: the service applies the changes, so it
        # can tell which fields changed and audit them.
        initial = None
        if patient is not None:
            initial = model_to_dict(patient, fields=EDITABLE_FIELDS)
            initial["phone"] = display_phone(patient.phone)
            initial["unencrypted_email_consent"] = patient.unencrypted_email_consent
        super().__init__(data, initial=initial)
        self.fields["birth_date"].required = True
        self.fields["birth_date"].input_formats = ["%Y-%m-%d", "%m/%d/%Y"]

    def offer_duplicate_confirmation(self, offer: bool) -> None:
        """The "different person" box only makes sense next to a duplicate warning."""
        if not offer:
            self.fields.pop("confirm_not_duplicate", None)

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_birth_date(self):
        birth_date = self.cleaned_data["birth_date"]
        if birth_date and birth_date > timezone.localdate():
            raise forms.ValidationError("The birth date cannot be in the future.")
        if birth_date and birth_date.year < 1900:
            raise forms.ValidationError("Check the year: it is before 1900.")
        return birth_date

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("email_consent") and not cleaned.get("email"):
            self.add_error("email", "Add an email address to record email consent.")
        if cleaned.get("sms_consent") and not cleaned.get("phone"):
            self.add_error("phone", "Add a mobile number to record text-message consent.")
        preferred = cleaned.get("preferred_contact")
        if preferred == ContactChannel.SMS and not cleaned.get("sms_consent"):
            self.add_error("preferred_contact", "Texts need the patient's consent to texts.")
        if preferred == ContactChannel.EMAIL and not cleaned.get("email_consent"):
            self.add_error("preferred_contact", "Email needs the patient's consent to email.")
        if cleaned.get("unencrypted_email_consent") and not cleaned.get("email_consent"):
            self.add_error(
                "unencrypted_email_consent", "Documents by email also need consent to email."
            )
        return cleaned

    def patient_data(self) -> dict:
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}
