"""Forms for signing in, the second factor and practice settings."""

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from coordinator.models import Practice, User
from coordinator.phones import normalize_phone


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class StaffPasswordResetForm(PasswordResetForm):
    """Imported staff have no usable password yet; reset is how they set their first one."""

    def get_users(self, email: str):
        return User.objects.filter(email__iexact=email.strip(), is_active=True)

    def save(self, *, request, use_https: bool = False, **kwargs) -> None:
        from coordinator.tasks import send_password_reset_email

        for user in self.get_users(self.cleaned_data["email"]):
            send_password_reset_email.delay_on_commit(str(user.pk), request.get_host(), use_https)


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].replace(" ", "").replace("-", "").strip()


class PracticeSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=[
            (tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"
        ]
    )

    class Meta:
        model = Practice
        fields = ["name", "phone", "email", "address", "timezone", "mfa_for_all_staff"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        labels = {"mfa_for_all_staff": "Require an authenticator app for all staff"}

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
