"""Forms for signing in, the second factor and practice settings."""

import datetime
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


# The insurance estimate settings of the estimate contract (§3.5), shown in their own group.
ESTIMATE_SETTINGS = (
    "secondary_ppo_writeoffs",
    "zero_writeoff_when_max_reached",
    "zero_writeoff_on_frequency_or_age_limit",
    "office_fee_for_exclusions",
    "blank_fixed_benefit_is_zero",
    "blank_copay_is_zero",
    "blank_allowed_is_zero",
)
ESTIMATE_FIELDS = frozenset({*ESTIMATE_SETTINGS, "benefits_stale_after_days"})
# What an electronic eligibility request (X12 270) says about the practice.
ELIGIBILITY_FIELDS = ("npi", "x12_submitter_id")
STALE_AFTER_DAYS_DEFAULT = 30
# When automatic texts and emails may go out (plans.reminders applies them).
REMINDER_FIELDS = ("quiet_hours_start", "quiet_hours_end", "texts_on_sundays")
QUIET_HOURS_DEFAULTS = {
    "quiet_hours_start": datetime.time(20, 0),
    "quiet_hours_end": datetime.time(8, 0),
}


class PracticeSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=[
            (tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"
        ]
    )

    class Meta:
        model = Practice
        fields = [
            "name",
            "phone",
            "email",
            "address",
            "timezone",
            "mfa_for_all_staff",
            *ESTIMATE_SETTINGS,
            "benefits_stale_after_days",
            *ELIGIBILITY_FIELDS,
            *REMINDER_FIELDS,
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {
            "mfa_for_all_staff": "Require an authenticator app for all staff",
            "secondary_ppo_writeoffs": "Let a secondary PPO take its own write-off",
            "zero_writeoff_when_max_reached": "No write-off once the maximum is used up",
            "zero_writeoff_on_frequency_or_age_limit": (
                "No write-off when a frequency or age limit denies a procedure"
            ),
            "office_fee_for_exclusions": "Charge the office fee for excluded procedures",
            "blank_fixed_benefit_is_zero": "A missing fixed benefit means the plan pays nothing",
            "blank_copay_is_zero": "A missing copay means no copay",
            "blank_allowed_is_zero": "A missing allowed fee means the plan allows $0",
            "benefits_stale_after_days": "Benefits are out of date after (days)",
            "quiet_hours_start": "Quiet from",
            "quiet_hours_end": "Quiet until",
            "texts_on_sundays": "Send texts on Sundays",
        }
        help_texts = {
            "secondary_ppo_writeoffs": (
                "When a PPO pays second, it may write off its own difference as long as the first "
                "plan wrote nothing off. Off: only the first paying PPO writes off."
            ),
            "zero_writeoff_when_max_reached": (
                "When the yearly or lifetime maximum leaves the plan paying nothing, the patient "
                "is billed the full office fee. Each plan can say otherwise."
            ),
            "zero_writeoff_on_frequency_or_age_limit": (
                "When a plan refuses a procedure because it was done too recently or the "
                "patient is too old, the patient is billed the full office fee. Each plan can say "
                "otherwise."
            ),
            "office_fee_for_exclusions": (
                "For a procedure a plan does not cover at all, the patient pays the office fee, "
                "not the plan's fee. Each plan can say otherwise."
            ),
            "blank_fixed_benefit_is_zero": (
                "On a fixed-benefit PPO, a procedure with no fixed amount on file pays nothing. "
                "Off: the plan pays its whole PPO fee for it."
            ),
            "blank_copay_is_zero": (
                "A procedure missing from a plan's copay list costs the patient no copay. Off: the "
                "patient pays the plan's whole fee for it."
            ),
            "blank_allowed_is_zero": (
                "A procedure missing from a plan's allowed-fee list is allowed $0: the plan pays "
                "nothing and writes nothing off. Off: the whole fee is allowed."
            ),
            "benefits_stale_after_days": (
                "Estimates warn when a plan's benefits were last checked longer ago than this. "
                "Left empty: 30."
            ),
            "npi": "The practice's (billing provider's) 10-digit National Provider Identifier.",
            "x12_submitter_id": (
                "The sender ID your clearinghouse gave the practice for eligibility requests "
                "(up to 15 letters and digits)."
            ),
            "quiet_hours_start": (
                "No automatic text or email goes out from this time (the practice's time zone); "
                "one that falls due waits until the quiet hours end. Left empty: 20:00."
            ),
            "quiet_hours_end": (
                "Automatic texts and emails resume at this time. Left empty: 8:00. The same time "
                "in both fields means no quiet hours."
            ),
            "texts_on_sundays": "Off: a text due on a Sunday waits until Monday morning.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional so that a settings form saved without them keeps working; empty means the
        # default.
        self.fields["benefits_stale_after_days"].required = False
        for name in QUIET_HOURS_DEFAULTS:
            self.fields[name].required = False
        # Typed with spaces or dashes; the model checks the 10 digits once they are gone.
        npi = self.fields["npi"]
        npi.max_length = 20
        npi.validators = []
        npi.widget.attrs.update(maxlength="20", inputmode="numeric", autocomplete="off")

    def clean_benefits_stale_after_days(self) -> int:
        days = self.cleaned_data["benefits_stale_after_days"]
        return STALE_AFTER_DAYS_DEFAULT if days is None else days

    def clean_quiet_hours_start(self) -> datetime.time:
        return self._time_or_default("quiet_hours_start")

    def clean_quiet_hours_end(self) -> datetime.time:
        return self._time_or_default("quiet_hours_end")

    def _time_or_default(self, name: str) -> datetime.time:
        value = self.cleaned_data[name]
        return QUIET_HOURS_DEFAULTS[name] if value is None else value

    def practice_fields(self) -> list:
        grouped = ESTIMATE_FIELDS | set(ELIGIBILITY_FIELDS) | set(REMINDER_FIELDS)
        return [field for field in self.visible_fields() if field.name not in grouped]

    def reminder_fields(self) -> list:
        return [field for field in self.visible_fields() if field.name in REMINDER_FIELDS]

    def eligibility_fields(self) -> list:
        return [field for field in self.visible_fields() if field.name in ELIGIBILITY_FIELDS]

    def clean_npi(self) -> str:
        return self.cleaned_data["npi"].replace(" ", "").replace("-", "")

    def clean_x12_submitter_id(self) -> str:
        return self.cleaned_data["x12_submitter_id"].strip().upper()

    def estimate_fields(self) -> list:
        return [field for field in self.visible_fields() if field.name in ESTIMATE_FIELDS]

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
