"""The only module that talks to Stripe (ruff bans `import stripe` everywhere else).

It turns Stripe's objects and errors into small values the rest of the app understands, and never
touches the database: callers record what it answers.
"""

import functools
import json
from dataclasses import dataclass
from typing import Any

import stripe  # noqa: TID251 - this module is the sanctioned gateway
from django.conf import settings


class GatewayUnavailable(Exception):
    """Stripe could not be reached or answered with a temporary error; the same request may be retried."""


class GatewayRefused(Exception):
    """Stripe refused the request for good (invalid request, card declined): retrying will not help."""


class WebhookSignatureInvalid(Exception):
    """The webhook's Stripe-Signature header is missing, malformed, stale or does not match."""


@dataclass(frozen=True)
class StripeRefund:
    id: str
    status: str
    amount: int
    currency: str
    failure_reason: str
    idempotency_key: str  # ours, echoed back from the refund's metadata


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, timeout: float) -> stripe.StripeClient:
    # No retries inside the library: our task retries with the same idempotency key, and records
    # each failure where a VA can see it.
    return stripe.StripeClient(
        api_key,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
        base_addresses={"api": api_base} if api_base else None,
    )


def client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_SECONDS)


def _payment_params(payment_reference: str) -> dict:
    if payment_reference.startswith("pi_"):
        return {"payment_intent": payment_reference}
    if payment_reference.startswith(("ch_", "py_")):
        return {"charge": payment_reference}
    raise GatewayRefused(f"“{payment_reference}” is not a Stripe PaymentIntent or charge id.")


def _typed(params: dict) -> Any:
    """Our request parameters for Stripe's typed ones: which of `charge` or `payment_intent` is sent depends on
    the order's payment reference at run time, which Stripe's TypedDicts cannot say."""
    return params


def _as_refund(obj) -> StripeRefund:
    data = obj if isinstance(obj, dict) else obj.to_dict()
    metadata = data.get("metadata") or {}
    return StripeRefund(
        id=data["id"],
        status=data.get("status") or "pending",
        amount=int(data.get("amount") or 0),
        currency=(data.get("currency") or "").upper(),
        failure_reason=data.get("failure_reason") or "",
        idempotency_key=metadata.get("idempotency_key", ""),
    )


def _call(request):
    """Run one Stripe request, sorting its errors into 'try again' and 'no'."""
    try:
        return request()
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise GatewayUnavailable(_describe(error)) from error
    except stripe.StripeError as error:
        if error.http_status is None or error.http_status >= 500 or error.http_status in (408, 409, 429):
            raise GatewayUnavailable(_describe(error)) from error
        raise GatewayRefused(_describe(error)) from error


def _describe(error) -> str:
    status = f"HTTP {error.http_status}: " if error.http_status else ""
    message = getattr(error, "user_message", None) or str(error) or type(error).__name__
    return f"{type(error).__name__} ({status}{message})"[:500]


def create_refund(*, payment_reference: str, amount: int, idempotency_key: str, metadata: dict) -> StripeRefund:
    """Ask Stripe for a refund. The idempotency key makes a repeat of this call return the same refund."""
    params = {
        **_payment_params(payment_reference),
        "amount": amount,
        "metadata": {**metadata, "idempotency_key": idempotency_key},
    }
    return _as_refund(
        _call(lambda: client().v1.refunds.create(params=_typed(params), options={"idempotency_key": idempotency_key}))
    )


def retrieve_refund(refund_id: str) -> StripeRefund:
    return _as_refund(_call(lambda: client().v1.refunds.retrieve(refund_id)))


def find_refund(*, payment_reference: str, idempotency_key: str) -> StripeRefund | None:
    """The refund Stripe made for our key, if any: heals a crash between Stripe's answer and our save,
    and guards against a server that ignores idempotency keys."""
    params = {**_payment_params(payment_reference), "limit": 100}
    page = _call(lambda: client().v1.refunds.list(params=_typed(params)))
    for obj in page.data:
        refund = _as_refund(obj)
        if refund.idempotency_key == idempotency_key:
            return refund
    return None


def update_dispute_evidence(*, dispute_id: str, evidence: dict, submit: bool) -> dict:
    """Send staged evidence to Stripe; `submit=False` keeps it editable there, `True` sends it to the bank."""
    params = {"evidence": {k: v for k, v in evidence.items() if v}, "submit": submit}
    result = _call(lambda: client().v1.disputes.update(dispute_id, params=_typed(params)))
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def verified_event(payload: bytes, signature_header: str | None) -> dict:
    """Check the Stripe-Signature header with our webhook secret; return the event as a plain dict."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookSignatureInvalid("STRIPE_WEBHOOK_SECRET is not set, so no signature can be verified.")
    if not signature_header:
        raise WebhookSignatureInvalid("The Stripe-Signature header is missing.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature_header, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise WebhookSignatureInvalid(str(error) or "The signature does not match.") from error
    try:
        event = json.loads(payload)
    except ValueError as error:
        raise WebhookSignatureInvalid("The body is not JSON.") from error
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise WebhookSignatureInvalid("The body is not a Stripe event.")
    return event
