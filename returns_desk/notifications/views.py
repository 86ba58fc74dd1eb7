from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def inbound_email_webhook(request):
    """Mailgun's inbound route, verified by Anymail with the webhook signing key."""
    if not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        return JsonResponse({"error": "Inbound email is not configured (MAILGUN_WEBHOOK_SIGNING_KEY)."}, status=400)
    return MailgunInboundWebhookView.as_view()(request)
