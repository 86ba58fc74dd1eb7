"""Refund providers behind one small interface.

`manual`: the money moves outside the app (bank transfer, shop back-office) and a VA records its
reference; a refund without a reference stays pending until one is recorded. The payments issue adds
Stripe behind the same `send_refund` call.
"""

from dataclasses import dataclass

from .models import Refund


@dataclass(frozen=True)
class ProviderAnswer:
    status: str
    provider_refund_id: str = ""
    failure_reason: str = ""


class ManualProvider:
    name = Refund.Provider.MANUAL

    def send_refund(self, refund: Refund) -> ProviderAnswer:
        if refund.provider_refund_id:
            return ProviderAnswer(Refund.Status.SUCCEEDED, refund.provider_refund_id)
        return ProviderAnswer(Refund.Status.PENDING)


PROVIDERS = {Refund.Provider.MANUAL: ManualProvider()}


def provider_for(name: str):
    try:
        return PROVIDERS[name]
    except KeyError:
        raise LookupError(f"No refund provider called {name!r}") from None


def default_provider_name() -> str:
    return Refund.Provider.MANUAL
