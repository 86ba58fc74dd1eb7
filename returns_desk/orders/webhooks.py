"""The shop pushes orders here: `POST /webhooks/orders/` with a JSON order (or a list), signed with
HMAC-SHA256 of the raw body and the shared secret, in the header `X-Shop-Signature: sha256=<hex>`.

Creating or updating by order number, the same push twice changes nothing more.
"""

import hashlib
import hmac
import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .importing import parse_json
from .services import orders_import

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 2 * 1024 * 1024


def signature_for(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@csrf_exempt
@require_POST
def orders_webhook(request):
    secret = settings.SHOP_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"error": "Order webhook is not configured (SHOP_WEBHOOK_SECRET)."}, status=400)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "Body too large."}, status=413)
    given = request.headers.get("X-Shop-Signature", "")
    if not hmac.compare_digest(given, signature_for(body, secret)):
        return JsonResponse({"error": "Bad or missing X-Shop-Signature."}, status=403)
    orders, errors = parse_json(body)
    if errors:
        return JsonResponse({"error": "Nothing was imported.", "problems": [str(e) for e in errors]}, status=400)
    result = orders_import(orders=orders)
    log.info("order webhook: %s created, %s updated", len(result.created), len(result.updated))
    return JsonResponse({"created": result.created, "updated": result.updated})
