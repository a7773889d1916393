"""How an eligibility request (X12 270) reaches the payer, behind one small interface.

`settings.X12_CLEARINGHOUSE_TRANSPORT` names the class. `submit` takes the 270 and returns the
271, or None when the answer comes back later: with the built-in `FileTransport` the
coordinator downloads the 270, sends it through the clearinghouse's portal and uploads the 271.
A transport for a clearinghouse's real-time API returns the 271 text (or raises
`TransportError` with a sentence for the coordinator).
"""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class TransportError(Exception):
    """The clearinghouse could not be reached or refused the request; the message says why."""


class Transport(Protocol):
    def submit(self, request_text: str) -> str | None: ...


class FileTransport:
    """The 270 leaves as a downloaded file; the 271 arrives as an uploaded file."""

    def submit(self, request_text: str) -> str | None:
        return None


def transport() -> Transport:
    """The configured transport; a wrong class name fails loudly."""
    return import_string(settings.X12_CLEARINGHOUSE_TRANSPORT)()
