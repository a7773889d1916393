"""Template filters that only format: money and phone numbers."""

from django import template

from coordinator.money import format_money
from coordinator.phones import display_phone

register = template.Library()


@register.filter
def money(amount):
    return format_money(amount)


@register.filter
def phone(e164: str) -> str:
    return display_phone(e164)
