"""A return being started, kept in the customer's session between the steps until it is confirmed.

The session is server-side; it holds ids and choices only (staged photos by storage name), never the
figures: those are worked out again from the database on every step, so a stale page cannot confirm a
stale price.
"""

import secrets
from dataclasses import asdict, dataclass, field

from returns_desk.returns.pricing import RequestedItem

SESSION_KEY = "portal_return_draft"


@dataclass
class DraftLine:
    quantity: int = 0
    reason: str = ""
    description: str = ""
    photos: list[str] = field(default_factory=list)
    resolution: str = ""  # refund, store_credit or exchange, chosen on the outcome step


@dataclass
class Draft:
    order_id: int
    lines: dict[str, DraftLine] = field(default_factory=dict)  # order line id (as text: JSON keys) -> choice
    exchange: dict[str, int] = field(default_factory=dict)  # order line id -> wanted product id
    # One draft opens at most one return; every step's form carries it, so a tab showing an older draft is
    # caught instead of confirming whatever draft the session holds now.
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def chosen(self) -> dict[int, DraftLine]:
        return {int(line_id): line for line_id, line in self.lines.items() if line.quantity > 0}

    @property
    def outcomes_chosen(self) -> bool:
        return bool(self.chosen) and all(line.resolution for line in self.chosen.values())

    def requested_items(self) -> list[RequestedItem]:
        return [
            RequestedItem(
                order_line_id=line_id,
                quantity=line.quantity,
                reason_code=line.reason,
                description=line.description,
                photos=tuple(line.photos),
                resolution=line.resolution,
                exchange_product_id=self.exchange.get(str(line_id)) if line.resolution == "exchange" else None,
            )
            for line_id, line in sorted(self.chosen.items())
        ]


def load(request) -> Draft | None:
    raw = request.session.get(SESSION_KEY)
    if not raw:
        return None
    try:
        lines = {key: DraftLine(**value) for key, value in raw.get("lines", {}).items()}
        return Draft(
            order_id=int(raw["order_id"]),
            lines=lines,
            exchange={k: int(v) for k, v in raw.get("exchange", {}).items()},
            key=raw["key"],
        )
    except (KeyError, TypeError, ValueError):
        clear(request)
        return None


def save(request, draft: Draft) -> None:
    request.session[SESSION_KEY] = asdict(draft)


def start(request, order_id: int) -> Draft:
    draft = Draft(order_id=order_id)
    save(request, draft)
    return draft


def clear(request) -> None:
    request.session.pop(SESSION_KEY, None)


def is_current(request, draft: Draft) -> bool:
    """Whether a step's form was filled in on this draft (a form without the key, or another tab's, is not)."""
    return request.POST.get("draft") == draft.key
