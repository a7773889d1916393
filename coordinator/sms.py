"""Sending text messages: one small interface, backends chosen by `SMS_BACKEND`.

    send_sms(to, body, idempotency_key) -> provider message id

- `console`: logs that a text went out (the body only with DEBUG on: it names the patient).
- `file`: one file per idempotency key in `SMS_FILE_DIR`; the same key never makes a second
  message. Development, and the tests that count deliveries.
- `twilio`: Twilio's REST API (`POST {SMS_API_BASE_URL}/2010-04-01/Accounts/{sid}/Messages.json`,
  basic auth sid/token, form fields To/From/Body) or any provider that copies its shape. The
  idempotency key travels as an `Idempotency-Key` header for providers that honour it; Twilio
  itself does not, so a worker killed between Twilio's answer and our commit can text twice.
- `none`: texts are not set up; a reminder by text is skipped with that reason.

Errors say whether trying again can help: `SmsTemporaryError` (network, 429, 5xx) is retried
with backoff; `SmsRejected` (bad number, unsubscribed recipient, bad credentials) is not.
Inbound webhooks are checked with `twilio_signature_valid`.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 15
# Twilio's error code for a recipient who texted STOP to the sending number.
TWILIO_UNSUBSCRIBED = 21610


class SmsTemporaryError(Exception):
    """The provider could not take the message now; the same message may be tried again."""


class SmsRejected(Exception):
    """The provider refused the message; trying again will not help."""


class SmsRecipientOptedOut(SmsRejected):
    """The recipient unsubscribed from the sending number (texted STOP)."""


class SmsNotConfigured(SmsRejected):
    """This installation sends no texts (SMS_BACKEND=none)."""


def _masked(number: str) -> str:
    return f"{number[:5]}…{number[-2:]}" if len(number) > 7 else "…"


class ConsoleBackend:
    def send(self, to: str, body: str, idempotency_key: str) -> str:
        if settings.DEBUG:
            logger.info("SMS to %s (key %s):\n%s", to, idempotency_key, body)
        else:
            logger.info(
                "SMS to %s (key %s): %d characters", _masked(to), idempotency_key, len(body)
            )
        return f"console-{idempotency_key}"


class FileBackend:
    def __init__(self, directory: str) -> None:
        if not directory:
            raise ImproperlyConfigured("SMS_BACKEND=file needs SMS_FILE_DIR.")
        self.directory = Path(directory)

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", idempotency_key):
            raise ValueError(f"Unusable idempotency key {idempotency_key!r}.")
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{idempotency_key}.json"
        record = {"to": to, "body": body, "key": idempotency_key, "at": timezone.now().isoformat()}
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".sending-")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(record, handle)
            # link() refuses an existing name: of two sends with one key, exactly one is kept.
            os.link(temporary, target)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
        return f"file-{idempotency_key}"


class TwilioBackend:
    def __init__(self, *, base_url: str, account_sid: str, auth_token: str, from_number: str):
        missing = [
            name
            for name, value in (
                ("SMS_API_BASE_URL", base_url),
                ("SMS_ACCOUNT_SID", account_sid),
                ("SMS_AUTH_TOKEN", auth_token),
                ("SMS_FROM_NUMBER", from_number),
            )
            if not value
        ]
        if missing:
            raise ImproperlyConfigured(f"SMS_BACKEND=twilio needs {', '.join(missing)}.")
        if not base_url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("SMS_API_BASE_URL must be an http(s) URL.")
        self.url = (
            f"{base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{urllib.parse.quote(account_sid)}/Messages.json"
        )
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.authorization = f"Basic {credentials}"
        self.from_number = from_number

    def send(self, to: str, body: str, idempotency_key: str) -> str:
        data = urllib.parse.urlencode({"To": to, "From": self.from_number, "Body": body}).encode()
        request = urllib.request.Request(  # noqa: S310 the scheme is checked in __init__
            self.url,
            data=data,
            method="POST",
            headers={
                "Authorization": self.authorization,
                "Idempotency-Key": idempotency_key,
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise self._error(error) from None
        except (OSError, ValueError) as error:  # refused, reset, timed out, or half an answer
            raise SmsTemporaryError(f"SMS provider unreachable: {error}") from None
        sid = answer.get("sid")
        if not sid:
            raise SmsTemporaryError("SMS provider answered without a message id.")
        return str(sid)

    @staticmethod
    def _error(error: urllib.error.HTTPError) -> Exception:
        try:
            detail = json.loads(error.read() or b"{}")
        except ValueError:
            detail = {}
        code = detail.get("code")
        message = f"SMS provider answered {error.code}" + (
            f" (error {code}: {detail.get('message', '')})" if code else ""
        )
        if error.code == 429 or error.code >= 500:
            return SmsTemporaryError(message)
        if code == TWILIO_UNSUBSCRIBED:
            return SmsRecipientOptedOut(message)
        return SmsRejected(message)


class DisabledBackend:
    def send(self, to: str, body: str, idempotency_key: str) -> str:
        raise SmsNotConfigured("Text messages are not set up (SMS_BACKEND=none).")


def get_backend() -> ConsoleBackend | FileBackend | TwilioBackend | DisabledBackend:
    name = settings.SMS_BACKEND
    if name == "console":
        return ConsoleBackend()
    if name == "file":
        return FileBackend(settings.SMS_FILE_DIR)
    if name == "twilio":
        return TwilioBackend(
            base_url=settings.SMS_API_BASE_URL,
            account_sid=settings.SMS_ACCOUNT_SID,
            auth_token=settings.SMS_AUTH_TOKEN,
            from_number=settings.SMS_FROM_NUMBER,
        )
    if name == "none":
        return DisabledBackend()
    raise ImproperlyConfigured(f"SMS_BACKEND must be console, file, twilio or none, not {name!r}.")


def send_sms(to: str, body: str, idempotency_key: str) -> str:
    """Send one text; the same idempotency key is one message where the backend dedupes."""
    return get_backend().send(to, body, idempotency_key)


def twilio_signature(url: str, params: Mapping[str, list[str]], auth_token: str) -> str:
    """Twilio's `X-Twilio-Signature`: HMAC-SHA1 over the URL and the sorted POST parameters."""
    payload = url + "".join(
        name + value for name in sorted(params) for value in sorted(params[name])
    )
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_valid(
    url: str, params: Mapping[str, list[str]], signature: str, auth_token: str
) -> bool:
    if not auth_token or not signature:
        return False
    return hmac.compare_digest(twilio_signature(url, params, auth_token), signature)
