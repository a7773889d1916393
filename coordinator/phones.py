"""Phone numbers in any format to E.164 (+13125550100)."""

import phonenumbers
from django.conf import settings


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form, or raise ValueError with a message a person understands."""
    try:
        number = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(f'"{raw}" is not a phone number.') from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f'"{raw}" is not a valid phone number.')
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """National format for numbers of the default region, international for the others."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    if phonenumbers.region_code_for_number(number) == settings.PHONE_DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
