"""Parsing and validating what an office manager types or uploads for the procedure catalog."""

from django import forms

from coordinator.money import MAX_FEE
from plans.catalog import category_for_code
from plans.catalog_import import (
    COLUMNS,
    MAX_BYTES,
    MAX_DESCRIPTION,
    MAX_MINUTES,
    ImportFileError,
    RawRow,
    read_catalog_file,
)
from plans.models import Category, ProcedureCode
from plans.teeth import Site

FEE_ERRORS = {
    "invalid": "Enter an amount such as 1250.00 (a point before the cents, no commas).",
    "min_value": "A fee cannot be negative.",
    "max_decimal_places": "Use at most two decimal places (cents).",
    "max_digits": "That amount is too large.",
    "max_whole_digits": "That amount is too large.",
}


def fee_field() -> forms.DecimalField:
    # A text box, not type=number: the browser must not silently drop "12,50" before we see it.
    return forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        max_value=MAX_FEE,
        label="Office fee ($)",
        error_messages=FEE_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ProcedureCodeForm(forms.Form):
    """Add a code (with `code`) or change one (without it, with `is_active`)."""

    code = forms.CharField(
        max_length=5,
        help_text="D followed by four digits, e.g. D2740.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    description = forms.CharField(
        max_length=MAX_DESCRIPTION,
        label="Plain description",
        help_text="What the patient reads: plain words, not the licensed CDT descriptor.",
    )
    fee = fee_field()
    minutes = forms.IntegerField(
        min_value=0, max_value=MAX_MINUTES, initial=30, label="Typical minutes"
    )
    category = forms.ChoiceField(choices=Category.choices)
    site = forms.ChoiceField(choices=Site.choices, label="Placed on")
    is_active = forms.BooleanField(
        required=False,
        label="Active (offered when building plans)",
        help_text="Inactive codes stay on the plans that use them; they are no longer offered.",
    )

    def __init__(self, data=None, *, procedure_code: ProcedureCode | None = None):
        initial = None
        if procedure_code is not None:
            initial = {
                field: getattr(procedure_code, field)
                for field in ("description", "fee", "minutes", "category", "site", "is_active")
            }
        super().__init__(data, initial=initial)
        self.fields[
            "fee"
        ].help_text = (
            "Procedures already on plans keep their fee; the new fee applies to work added later."
        )
        if procedure_code is None:
            del self.fields["is_active"]
            # Left empty, both follow from the code's range.
            self.fields["category"].required = False
            self.fields["category"].choices = [("", "From the code's range"), *Category.choices]
            self.fields["site"].required = False
            self.fields["site"].choices = [("", "From the code's range"), *Site.choices]
        else:
            del self.fields["code"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        try:
            category_for_code(code)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return code

    def clean_description(self) -> str:
        description = self.cleaned_data["description"].strip()
        if any(ord(char) < 32 for char in description):
            raise forms.ValidationError("The description cannot contain control characters.")
        return description

    def code_data(self) -> dict:
        return dict(self.cleaned_data)


class FeeForm(forms.Form):
    """The one field of the inline fee editor."""

    fee = fee_field()

    def __init__(self, data=None, *, procedure_code: ProcedureCode):
        super().__init__(data, initial={"fee": procedure_code.fee})
        self.fields["fee"].widget.attrs.update(
            {"aria-label": f"Office fee for {procedure_code.code}", "size": 10, "autofocus": True}
        )


class CatalogImportForm(forms.Form):
    file = forms.FileField(
        label="Code file (CSV)",
        help_text=(
            f"Columns: {', '.join(COLUMNS)} (category and minutes are optional). "
            f"Header row first; UTF-8 or Windows-1252; at most {MAX_BYTES // (1024 * 1024)} MB."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> list[RawRow]:
        upload = self.cleaned_data["file"]
        self.file_name = upload.name[:100]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; "
                f"the limit is {MAX_BYTES // (1024 * 1024)} MB."
            )
        try:
            return read_catalog_file(upload.read(MAX_BYTES + 1))
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from None
