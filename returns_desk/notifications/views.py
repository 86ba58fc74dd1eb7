"""Mailgun's inbound route: `POST /webhooks/inbound-email/`, a form with the message and Mailgun's signature.

Mailgun signs `timestamp + token` (HMAC-SHA256 with the webhook signing key), not the message, so a captured
signature would carry any message. Here a signature counts only within `WEBHOOK_MAX_AGE_SECONDS` of its
timestamp and only once: its token is kept (core.webhook_receipts) in the transaction that files the email,
so a failure leaves it free for Mailgun's retry. Every refusal names its reason and stores nothing: 406 (Mailgun's
"rejected, do not retry") for a stale or already used signature, 400 for anything else.
"""

import hashlib
import hmac

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from returns_desk.core.webhook_receipts import (
    WebhookRefused,
    WebhookReplayed,
    WebhookStale,
    receipt_claim,
    signed_at,
    usable_token,
)

SIGNATURE_LENGTH = 64  # hex of SHA-256


class MailgunInboundOnceView(MailgunInboundWebhookView):
    """Anymail's Mailgun inbound view, with a time window and each token used once.

    Anymail's own checks (basic auth when configured, the signature) run after ours, which refuse first what
    would make them fail with a 500 (a timestamp or token that is not ASCII).
    """

    def post(self, request, *args, **kwargs):
        try:
            token = self._verified_token(request)
            self.run_validators(request)
            with transaction.atomic():
                receipt_claim(source="mailgun", token=token)
                events = self._events(request)
                for event in events:
                    self.signal.send(sender=self.__class__, event=event, esp_name=self.esp_name)
        except (WebhookStale, WebhookReplayed) as refused:
            return JsonResponse({"error": str(refused)}, status=406)
        except (WebhookRefused, AnymailWebhookValidationFailure, AnymailConfigurationError) as refused:
            return JsonResponse({"error": str(refused)}, status=400)
        return HttpResponse()

    def _events(self, request) -> list:
        """Anymail's reading of the form; a form it cannot read is refused with Anymail's reason."""
        try:
            return self.parse_events(request)
        except (KeyError, ValueError, TypeError) as error:
            raise WebhookRefused(
                f"The message could not be read from the form ({type(error).__name__}: {error})."
            ) from error

    def _verified_token(self, request) -> str:
        """The token of a well-formed, matching and fresh signature; `WebhookRefused` with the reason otherwise."""
        if request.content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise WebhookRefused("Mailgun's inbound route posts a form; this is not one.")
        try:
            fields = request.POST
        except (MultiPartParserError, SuspiciousOperation) as error:  # a broken form, too many fields, too big
            raise WebhookRefused(f"The form could not be read: {error}") from None
        timestamp = fields.get("timestamp", "")
        token = usable_token(fields.get("token", ""))
        signature = fields.get("signature", "")
        if not (signature.isascii() and len(signature) == SIGNATURE_LENGTH):
            raise WebhookRefused("The signature must be 64 hexadecimal characters.")
        if not timestamp.isascii():
            raise WebhookRefused("The timestamp must be a Unix time in whole seconds (ASCII digits).")
        expected = hmac.new(self.webhook_signing_key, f"{timestamp}{token}".encode("ascii"), hashlib.sha256)
        if not hmac.compare_digest(signature, expected.hexdigest()):
            raise WebhookRefused("The signature does not match (check MAILGUN_WEBHOOK_SIGNING_KEY).")
        signed_at(timestamp)
        return token


@csrf_exempt
def inbound_email_webhook(request):
    """Mailgun's inbound route, verified with the webhook signing key, each signature accepted once."""
    if not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        return JsonResponse({"error": "Inbound email is not configured (MAILGUN_WEBHOOK_SIGNING_KEY)."}, status=400)
    return MailgunInboundOnceView.as_view()(request)
