"""Refund providers behind one small interface: `send_refund(refund, resend=...)` and `fetch(refund)`.

`manual`: the money moves outside the app (bank transfer, shop back-office) and a VA records its
reference; a refund without a reference stays pending until one is recorded.
`stripe`: the refund is created at Stripe with our idempotency key; webhooks and reconciliation
bring its final status.
"""

from dataclasses import dataclass

from . import gateway
from .models import Refund


class ProviderUnavailable(Exception):
    """The provider could not be asked now; the same request is retried later with the same key."""


@dataclass(frozen=True)
class ProviderAnswer:
    status: str
    provider_refund_id: str = ""
    failure_reason: str = ""


class ManualProvider:
    name = Refund.Provider.MANUAL

    def send_refund(self, refund: Refund, *, resend: bool = False) -> ProviderAnswer:
        if refund.provider_refund_id:
            return ProviderAnswer(Refund.Status.SUCCEEDED, refund.provider_refund_id)
        return ProviderAnswer(Refund.Status.PENDING)

    def fetch(self, refund: Refund) -> ProviderAnswer | None:
        return None  # nobody to ask: a VA records the outcome


def _answer(refund: gateway.StripeRefund) -> ProviderAnswer:
    return ProviderAnswer(refund.status, refund.id, refund.failure_reason)


class StripeProvider:
    name = Refund.Provider.STRIPE

    def send_refund(self, refund: Refund, *, resend: bool = False) -> ProviderAnswer:
        payment = refund.order.payment_reference
        try:
            if resend:
                # We asked before and lost the answer (timeout, crash): if Stripe made the refund, use it
                # rather than asking again, even where a server would ignore the idempotency key.
                found = gateway.find_refund(payment_reference=payment, idempotency_key=refund.idempotency_key)
                if found:
                    return _answer(found)
            made = gateway.create_refund(
                payment_reference=payment,
                amount=refund.amount,
                idempotency_key=refund.idempotency_key,
                metadata={"rma": refund.return_request.rma_number, "refund_id": str(refund.pk)},
            )
        except gateway.GatewayUnavailable as error:
            raise ProviderUnavailable(str(error)) from error
        except gateway.GatewayRefused as error:
            return ProviderAnswer(Refund.Status.FAILED, "", str(error))
        return _answer(made)

    def fetch(self, refund: Refund) -> ProviderAnswer | None:
        try:
            if refund.provider_refund_id:
                return _answer(gateway.retrieve_refund(refund.provider_refund_id))
            found = gateway.find_refund(
                payment_reference=refund.order.payment_reference, idempotency_key=refund.idempotency_key
            )
        except gateway.GatewayUnavailable as error:
            raise ProviderUnavailable(str(error)) from error
        except gateway.GatewayRefused:
            return None
        return _answer(found) if found else None


PROVIDERS: dict[str, object] = {Refund.Provider.MANUAL: ManualProvider(), Refund.Provider.STRIPE: StripeProvider()}


def provider_for(name: str):
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No refund provider called {name!r}") from None


def provider_name_for(payment_reference: str) -> str:
    """Stripe when it is configured and the order was paid through it; otherwise manual."""
    if gateway.is_configured() and payment_reference.startswith(("pi_", "ch_", "py_")):
        return Refund.Provider.STRIPE
    return Refund.Provider.MANUAL
