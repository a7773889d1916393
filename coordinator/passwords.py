"""Rejects passwords that appear in known breaches (k-anonymity: only a hash prefix is sent)."""

import hashlib
import logging
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)


def breach_count(password: str) -> int | None:
    """How often the password appears in breaches, or None when the service cannot be reached."""
    digest = hashlib.sha1(password.encode()).hexdigest().upper()  # noqa: S324 the API's format
    prefix, suffix = digest[:5], digest[5:]
    url = settings.BREACHED_PASSWORDS_URL + prefix
    if not url.startswith(("https://", "http://")):
        raise ValueError("BREACHED_PASSWORDS_URL must be an http(s) URL.")
    request = urllib.request.Request(url, headers={"Add-Padding": "true"})  # noqa: S310 checked
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310 scheme checked above
            body = response.read().decode()
    except OSError:
        logger.warning("breached-password service unreachable; password accepted unchecked")
        return None
    for line in body.splitlines():
        candidate, _, count = line.partition(":")
        if candidate.strip() == suffix:
            return int(count)
    return 0


class BreachedPasswordValidator:
    def validate(self, password: str, user=None) -> None:
        if not settings.BREACHED_PASSWORDS_CHECK:
            return
        if breach_count(password):
            raise ValidationError(
                "This password has appeared in a data breach elsewhere. Please choose another.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "Your password must not be one that has appeared in a known data breach."
