"""Text messages: the backends (a fake Twilio on loopback is the only stand-in) and the signed
inbound webhook for STOP, START and replies."""

import json
import logging
import urllib.parse

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from coordinator.sms import (
    SmsNotConfigured,
    SmsRecipientOptedOut,
    SmsRejected,
    SmsTemporaryError,
    get_backend,
    send_sms,
    twilio_signature,
    twilio_signature_valid,
)
from patients.models import Patient
from plans import reminders
from plans.followup_models import (
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderStatus,
    StopReason,
    Touch,
    TouchOutcome,
)
from tests.factories import PatientFactory
from tests.reminder_support import (
    FROM_NUMBER,
    SID,
    TOKEN,
    FakeProvider,
    basic_auth,
    free_port,
    make_due,
    no_quiet_hours,
    presented_plan,
    start_fake_provider,
)

KEY = "0b5d3a52-6c49-4c1e-9d4e-3f1f7f1b2a10"


@pytest.fixture
def provider():
    fake = FakeProvider()
    server = start_fake_provider(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def twilio(settings, provider):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_BASE_URL = provider.url
    settings.SMS_ACCOUNT_SID = SID
    settings.SMS_AUTH_TOKEN = TOKEN
    settings.SMS_FROM_NUMBER = FROM_NUMBER
    return provider


# --- Backends ------------------------------------------------------------------------------


def test_the_twilio_backend_posts_the_message_as_twilio_expects(twilio):
    provider_id = send_sms("+13125550100", "Hi Maria, Smile North here.", KEY)

    (request,) = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["authorization"] == basic_auth(SID, TOKEN)
    assert request["form"] == {
        "To": "+13125550100",
        "From": FROM_NUMBER,
        "Body": "Hi Maria, Smile North here.",
    }
    assert request["key"] == KEY
    assert provider_id.startswith("SM")


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (503, {"code": 20500, "message": "Internal error"}, SmsTemporaryError),
        (429, {"code": 20429, "message": "Too many requests"}, SmsTemporaryError),
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number"}, SmsRejected),
        (400, {"code": 21610, "message": "Unsubscribed recipient"}, SmsRecipientOptedOut),
        (401, {"code": 20003, "message": "Authenticate"}, SmsRejected),
    ],
)
def test_provider_errors_say_whether_to_try_again(twilio, status, answer, error):
    twilio.script = [(status, answer)]

    with pytest.raises(error) as raised:
        send_sms("+13125550100", "Hi", KEY)

    assert str(status) in str(raised.value)
    if error is not SmsTemporaryError:
        assert not isinstance(raised.value, SmsTemporaryError)


def test_an_unreachable_provider_is_a_temporary_error(settings):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_BASE_URL = f"http://127.0.0.1:{free_port()}"
    settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN = SID, TOKEN
    settings.SMS_FROM_NUMBER = FROM_NUMBER

    with pytest.raises(SmsTemporaryError, match="unreachable"):
        send_sms("+13125550100", "Hi", KEY)


def test_the_twilio_backend_needs_its_settings(settings):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_ACCOUNT_SID = ""
    settings.SMS_AUTH_TOKEN = ""

    with pytest.raises(ImproperlyConfigured, match="SMS_ACCOUNT_SID, SMS_AUTH_TOKEN"):
        get_backend()


def test_the_file_backend_keeps_one_message_per_key(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_DIR = str(tmp_path)

    first = send_sms("+13125550100", "first", KEY)
    second = send_sms("+13125550100", "second", KEY)

    assert first == second == f"file-{KEY}"
    (message,) = tmp_path.iterdir()
    assert json.loads(message.read_text())["body"] == "first"


def test_the_file_backend_refuses_a_key_that_is_not_a_file_name(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_DIR = str(tmp_path)

    with pytest.raises(ValueError, match="idempotency key"):
        send_sms("+13125550100", "Hi", "../../etc/passwd")


def test_the_console_backend_keeps_the_text_out_of_production_logs(settings, caplog):
    settings.SMS_BACKEND = "console"
    settings.DEBUG = False
    caplog.set_level(logging.INFO, logger="coordinator.sms")

    send_sms("+13125550100", "Hi Maria", KEY)

    assert KEY in caplog.text
    assert "Maria" not in caplog.text
    assert "5550100" not in caplog.text


def test_without_a_text_provider_nothing_is_sent(settings):
    settings.SMS_BACKEND = "none"

    with pytest.raises(SmsNotConfigured):
        send_sms("+13125550100", "Hi", KEY)


def test_a_reminder_goes_through_the_twilio_backend(twilio, practice, patient, dave, alice):
    patient.sms_consent = True
    patient.save()
    no_quiet_hours(practice)
    plan = presented_plan(practice, patient, dave, alice)
    reminder = make_due(plan, "sms")

    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT

    (request,) = twilio.requests
    assert request["form"]["To"] == "+13125550100"
    assert request["form"]["Body"].startswith("Hi Maria, this is Smile North Dental.")
    assert request["form"]["Body"].endswith("Reply STOP to opt out.")


# --- Signatures ------------------------------------------------------------------------------


def test_the_signature_matches_twilio_s_published_example():
    # From twilio-ruby's request validator spec (an inbound SMS).
    params = {
        "ToState": "CA",
        "FromState": "CA",
        "AccountSid": "ACba8bc05eacf94afdae398e642c9cc32d",
        "SmsMessageSid": "SM2003cbd5e6a3701999aa3e5f20ff2787",
        "Body": "Orly",
        "From": "+14159354345",
        "FromCity": "SAN FRANCISCO",
        "SmsStatus": "received",
        "FromZip": "94107",
        "FromCountry": "US",
        "To": "+14158141819",
        "ToCity": "SAN FRANCISCO",
        "ToZip": "94105",
        "ToCountry": "US",
        "ApiVersion": "2010-04-01",
        "SmsSid": "SM2003cbd5e6a3701999aa3e5f20ff2787",
    }
    lists = {name: [value] for name, value in params.items()}
    url = "http://twiliotests.heroku.com/validate/sms"
    token = "2bd9e9638872de601313dc77410d3b23"

    assert twilio_signature(url, lists, token) == "mxeiv65lEe0b8L6LdVw2jgJi8yw="
    assert twilio_signature_valid(url, lists, "mxeiv65lEe0b8L6LdVw2jgJi8yw=", token)
    assert not twilio_signature_valid(url, lists, "mxeiv65lEe0b8L6LdVw2jgJi8yw=", "other")
    assert not twilio_signature_valid(url, lists, "", token)
    assert not twilio_signature_valid(url, lists, "mxeiv65lEe0b8L6LdVw2jgJi8yw=", "")


# --- The inbound webhook ----------------------------------------------------------------------

WEBHOOK = "http://testserver/sms/inbound/"


@pytest.fixture
def webhook_token(settings):
    settings.SMS_AUTH_TOKEN = TOKEN
    settings.SMS_WEBHOOK_URL = ""
    return TOKEN


def post_text(body: str, from_number: str = "+13125550100", *, signature: str | None = None):
    fields = {
        "MessageSid": "SM0123",
        "AccountSid": SID,
        "From": from_number,
        "To": FROM_NUMBER,
        "Body": body,
    }
    if signature is None:
        signature = twilio_signature(WEBHOOK, {k: [v] for k, v in fields.items()}, TOKEN)
    return Client().post(
        "/sms/inbound/",
        urllib.parse.urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


@pytest.fixture
def texted(practice, other_practice, patient, dave, alice, webhook_token, tmp_path, settings):
    """Maria (texted about a plan at Smile North) and a patient at Bright South with her phone."""
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_DIR = str(tmp_path)
    patient.sms_consent = patient.email_consent = True
    patient.save()
    no_quiet_hours(practice)
    plan = presented_plan(practice, patient, dave, alice)
    reminder = make_due(plan, "sms")
    assert reminders.reminder_send(reminder_id=str(reminder.pk)) == ReminderStatus.SENT
    namesake = PatientFactory(
        practice=other_practice, first_name="Rosa", phone=patient.phone, sms_consent=True
    )
    return plan, namesake


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop. ", "Unsubscribe", "quit please", "Opt out"]
)
def test_stop_ends_texts_and_follow_ups_for_that_number_everywhere(texted, patient, body):
    plan, namesake = texted

    response = post_text(body)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    with scopes_disabled():
        for person in (patient, namesake):
            person.refresh_from_db()
            assert person.sms_consent is False
            assert person.reminders_opted_out_at is not None
        follow_up = FollowUp.objects.get(plan=plan)
        assert (follow_up.status, follow_up.stop_reason) == (
            FollowUpStatus.STOPPED,
            StopReason.OPTED_OUT,
        )
        assert not Reminder.objects.filter(plan=plan, status=ReminderStatus.PENDING).exists()
        events = AuditEvent.objects.filter(action="patient.sms_consent_withdrawn")
        assert {e.patient_id for e in events} == {patient.pk, namesake.pk}
        assert {e.system_actor for e in events} == {"sms:inbound"}


def test_start_turns_texts_back_on_but_restarts_no_follow_up(texted, patient):
    plan, namesake = texted
    post_text("STOP")

    response = post_text("START")

    assert response.status_code == 200
    with scopes_disabled():
        for person in (patient, namesake):
            person.refresh_from_db()
            assert person.sms_consent is True
            assert person.reminders_opted_out_at is None
        assert FollowUp.objects.get(plan=plan).status == FollowUpStatus.STOPPED


def test_a_reply_is_on_the_timeline_of_the_plan_last_texted(texted, patient):
    plan, _namesake = texted

    response = post_text("Can I come on Tuesday?")

    assert response.status_code == 200
    with scopes_disabled():
        touch = Touch.objects.get(plan=plan, outcome=TouchOutcome.REPLIED)
        follow_up = FollowUp.objects.get(plan=plan)
        patient.refresh_from_db()
    assert (touch.channel, touch.note, touch.by) == ("sms", "Can I come on Tuesday?", None)
    assert follow_up.stop_reason == StopReason.REPLIED
    assert patient.sms_consent is True  # a reply is not an opt-out


def test_yes_is_a_reply_not_a_re_subscription(texted, patient):
    post_text("STOP")

    post_text("Yes")

    patient.refresh_from_db()
    assert patient.sms_consent is False


def test_a_text_from_a_number_we_never_texted_changes_nothing(texted):
    response = post_text("Hello?", from_number="+13125550177")

    assert response.status_code == 200
    with scopes_disabled():
        assert not Touch.objects.filter(outcome=TouchOutcome.REPLIED).exists()


@pytest.mark.parametrize(
    "signature", ["", "mxeiv65lEe0b8L6LdVw2jgJi8yw=", "not base64 at all"], ids=str
)
def test_an_unsigned_or_forged_request_is_refused(texted, patient, signature):
    response = post_text("STOP", signature=signature)

    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.sms_consent is True


def test_a_request_signed_for_another_url_is_refused(texted, patient, settings):
    settings.SMS_WEBHOOK_URL = "https://coordinator.example.com/sms/inbound/"

    assert post_text("STOP").status_code == 403
    patient.refresh_from_db()
    assert patient.sms_consent is True


def test_the_configured_public_url_is_what_the_signature_covers(texted, patient, settings):
    public = "https://coordinator.example.com/sms/inbound/"
    settings.SMS_WEBHOOK_URL = public
    fields = {"From": "+13125550100", "Body": "STOP"}
    signature = twilio_signature(public, {k: [v] for k, v in fields.items()}, TOKEN)

    response = Client().post("/sms/inbound/", fields, headers={"X-Twilio-Signature": signature})

    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.sms_consent is False


def test_without_an_auth_token_every_request_is_refused(texted, patient, settings):
    settings.SMS_AUTH_TOKEN = ""

    assert post_text("STOP").status_code == 403


def test_the_webhook_takes_only_posts(db):
    assert Client().get("/sms/inbound/").status_code == 405


def test_stop_twice_keeps_the_first_opt_out_time(texted, patient):
    post_text("STOP")
    patient.refresh_from_db()
    first = patient.reminders_opted_out_at

    post_text("STOP")

    patient.refresh_from_db()
    assert patient.reminders_opted_out_at == first
    assert first <= timezone.now()
    with scopes_disabled():
        assert Patient.objects.filter(phone=patient.phone, sms_consent=True).count() == 0
