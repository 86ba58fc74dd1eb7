"""A return whose items ask for different outcomes (a refund for one, credit or an exchange for another),
settled in one step from the parts its inspection worked out."""

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.returns.models import Resolution, ReturnRequest

from .outcomes import CreditStep, ExchangeStep, MoneyStep, RefundStep, exchanged_items, run_money


class SettleStep(MoneyStep):
    """A return whose items ask for different outcomes, settled at once from its inspection's parts: the
    replacements shipped, the store credit issued (the quoted bonus on the items that asked for credit; a
    cheaper replacement's difference added without one), then the refund sent. Each goes through the money
    rule under the same locks, so together they never give back more than the order allows."""

    def __init__(self, by: Actor, *, carrier: str, tracking_number: str, chosen: dict[int, str], reference: str):
        self.by, self.carrier, self.tracking_number, self.chosen, self.reference = (
            by,
            carrier,
            tracking_number,
            chosen,
            reference,
        )

    def apply(self, rr: ReturnRequest) -> dict:
        parts = {k: int(v) for k, v in (rr.settlement_parts or {}).items()}
        result: dict = {"parts": parts}
        steps: list[MoneyStep] = []
        credit, earning = parts.get(Resolution.STORE_CREDIT, 0), parts.get(Resolution.STORE_CREDIT, 0)
        if exchanged_items(rr):
            if not self.tracking_number.strip():
                raise ServiceError("Give the tracking number of the replacements' parcel.")
            exchange = ExchangeStep(
                self.by,
                carrier=self.carrier.strip(),
                tracking_number=self.tracking_number.strip(),
                chosen=self.chosen,
                settled=parts.get(Resolution.EXCHANGE, 0),
            )
            result["exchange"] = exchange.apply(rr)
            # The money rule reads what was given back from the database: the replacements' value must be
            # there before the credit and the refund are authorised, or they would be checked against too much.
            rr.save(update_fields=["exchange_order", "exchange_value"])
            steps.append(exchange)
            credit += exchange.difference
        if credit:
            credit_step = CreditStep(self.by, amount=credit, checked=False, bonus_on=earning)
            result["store_credit"] = credit_step.apply(rr)
            steps.append(credit_step)
        if parts.get(Resolution.REFUND):
            refund_step = RefundStep(self.by, amount=parts[Resolution.REFUND], reference=self.reference)
            result["refund"] = refund_step.apply(rr)
            steps.append(refund_step)
        if not steps:
            raise ServiceError("Nothing was accepted at inspection, so there is nothing to settle.")
        self.body = " ".join(step.body for step in steps)
        self.customer = " ".join(step.customer for step in steps)
        return result


def return_settle(
    *,
    return_request: ReturnRequest,
    by: Actor,
    carrier: str = "",
    tracking_number: str = "",
    replacement_skus: dict[int, str] | None = None,
    reference: str = "",
) -> ReturnRequest:
    """Settle a return item by item (each item asked for its own outcome): see `SettleStep`."""
    step = SettleStep(
        by, carrier=carrier, tracking_number=tracking_number, chosen=replacement_skus or {}, reference=reference
    )
    data = {"carrier": carrier.strip(), "tracking_number": tracking_number.strip()} if tracking_number.strip() else None
    return run_money(return_request, "settle", by, step, data=data)
