"""The shop pushes orders here: `POST /webhooks/orders/` with a JSON order (or a list).

Signed with the shared secret: `X-Shop-Timestamp: <Unix time in seconds>` and
`X-Shop-Signature: sha256=<hex>`, the HMAC-SHA256 of the timestamp, a dot and the raw body
(`f"{timestamp}." + body`). A push is accepted within `WEBHOOK_MAX_AGE_SECONDS` of its timestamp, and once: its
signature is kept (core.webhook_receipts), so a retry is signed again with a new timestamp.

Orders are created or updated by number. Each is dated by its `updated_at` (when the shop last changed it),
else by the push's timestamp; one dated before the order the desk holds is left as it was and named under
`stale` in a 200 answer (sending it again would not help). Answers: 200 `{"created": [...], "updated": [...]}`
(plus `"stale"` and its reason when some were left), 400 for a missing or malformed header, a stale timestamp
or a body that is not a valid order, 403 for a signature that does not match, 409 for a signature already
used, 413 for a body over 2 MB.
"""

import hashlib
import hmac
import logging
import re

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from returns_desk.core.webhook_receipts import WebhookRefused, WebhookReplayed, signed_at

from .importing import parse_json
from .services import orders_import_push

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 2 * 1024 * 1024
SIGNATURE_FORMAT = re.compile(r"sha256=[0-9a-f]{64}", re.ASCII)


def signature_for(body: bytes, secret: str, timestamp: int | str) -> str:
    """The `X-Shop-Signature` of `body` sent with `X-Shop-Timestamp: timestamp`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _check_signature(request, secret: str) -> str | None:
    """None if the push is signed with our secret, else why not; `WebhookRefused` for a malformed header."""
    timestamp = request.headers.get("X-Shop-Timestamp")
    given = request.headers.get("X-Shop-Signature")
    if not timestamp or not given:
        raise WebhookRefused("X-Shop-Timestamp and X-Shop-Signature are both required.")
    if not SIGNATURE_FORMAT.fullmatch(given):
        raise WebhookRefused("X-Shop-Signature must be sha256= and 64 lowercase hexadecimal characters.")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookRefused("X-Shop-Timestamp must be a Unix time in whole seconds (ASCII digits).")
    if not hmac.compare_digest(given, signature_for(request.body, secret, timestamp)):
        return "X-Shop-Signature does not match the body and timestamp (check SHOP_WEBHOOK_SECRET)."
    return None


@csrf_exempt
@require_POST
def orders_webhook(request):
    secret = settings.SHOP_WEBHOOK_SECRET
    if not secret:
        return JsonResponse({"error": "Order webhook is not configured (SHOP_WEBHOOK_SECRET)."}, status=400)
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return JsonResponse({"error": "Body too large."}, status=413)
    try:
        mismatch = _check_signature(request, secret)
        if mismatch:
            return JsonResponse({"error": mismatch}, status=403)
        when = signed_at(request.headers["X-Shop-Timestamp"], name="X-Shop-Timestamp")
        orders, errors = parse_json(body)
        if errors:
            return JsonResponse({"error": "Nothing was imported.", "problems": [str(e) for e in errors]}, status=400)
        result = orders_import_push(orders=orders, signed_at=when, signature=request.headers["X-Shop-Signature"])
    except WebhookReplayed as replayed:
        return JsonResponse({"error": str(replayed)}, status=409)
    except WebhookRefused as refused:
        return JsonResponse({"error": str(refused)}, status=400)
    log.info(
        "order webhook: %s created, %s updated, %s stale", *map(len, (result.created, result.updated, result.stale))
    )
    answer: dict = {"created": result.created, "updated": result.updated}
    if result.stale:
        answer["stale"] = result.stale
        answer["note"] = "Orders under stale are dated before the ones the desk holds; they were left as they were."
    return JsonResponse(answer)
