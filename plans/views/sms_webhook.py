"""The SMS provider's inbound webhook: texts patients send back (STOP, START, replies).

Outside /p/<practice>/ (a text names no practice) and without CSRF (the provider has no
token); instead every request must carry a valid `X-Twilio-Signature`, made with
SMS_AUTH_TOKEN over the URL and the posted fields. Unsigned or wrongly signed: 403.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coordinator.sms import twilio_signature_valid
from plans.sms_replies import sms_received

# An empty TwiML answer: no reply text (the provider confirms STOP and START itself).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    url = settings.SMS_WEBHOOK_URL or request.build_absolute_uri()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio_signature_valid(
        url, dict(request.POST.lists()), signature, settings.SMS_AUTH_TOKEN
    ):
        return HttpResponseForbidden("Bad signature.")
    sms_received(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
