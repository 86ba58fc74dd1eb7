"""The "Email me a link to my orders" link: signed, expiring, sent through the outbox, opening one address's orders.

The customer's second way in, for when the order number is lost or lookups are paused. The link carries one
order of the address (its id, and a fingerprint of its email) signed and timed with `django.core.signing`, so
no address appears in the URL and a link whose order changed hands opens nothing. It is good for
`PORTAL_ORDERS_LINK_MAX_AGE_SECONDS` and opens every order placed with that address.
"""

from email.utils import make_msgid
from urllib.parse import urlparse

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from returns_desk.core import clock
from returns_desk.core.tasks import enqueue_on_commit
from returns_desk.orders.models import Order
from returns_desk.returns.models import ReturnRequest

from .models import OutboundEmail
from .services import plain_text

SALT = "returns_desk.notifications.orders-link"
KIND = "orders_link"


class LinkExpired(Exception):
    """The link was genuine but is older than it may be."""


class LinkInvalid(Exception):
    """The link was altered, cut short, or its order is gone."""


def _fingerprint(email: str) -> str:
    return salted_hmac(SALT, email.strip().lower()).hexdigest()[:16]


def valid_hours() -> int:
    """How long a link works, in whole hours, as the customer is told."""
    return max(1, settings.PORTAL_ORDERS_LINK_MAX_AGE_SECONDS // 3600)


def orders_link_token(order: Order) -> str:
    return signing.dumps({"o": order.pk, "e": _fingerprint(order.email)}, salt=SALT)


def orders_link_url(order: Order) -> str:
    return settings.SITE_URL + reverse("portal:orders", args=[orders_link_token(order)])


def orders_link_address(token: str) -> str:
    """The email address whose orders a link opens. Raises `LinkExpired` or `LinkInvalid`."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.PORTAL_ORDERS_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        raise LinkExpired from error
    except signing.BadSignature as error:
        raise LinkInvalid from error
    if not isinstance(data, dict) or not isinstance(data.get("o"), int):
        raise LinkInvalid
    order = Order.objects.filter(pk=data["o"]).only("email").first()
    if order is None or not constant_time_compare(_fingerprint(order.email), str(data.get("e", ""))):
        raise LinkInvalid
    return order.email


def link_orders(address: str, *, limit: int) -> list[Order]:
    """The address's orders, newest first, at most `limit`, each with its lines and its returns (newest
    first): three queries however many there are."""
    returns = ReturnRequest.objects.only("pk", "order_id", "rma_number", "status", "customer_token", "created_at")
    return list(
        Order.objects.filter(email__iexact=address)
        .order_by("-placed_at", "-pk")
        .prefetch_related("lines", Prefetch("returns", queryset=returns.order_by("-created_at", "-pk")))[:limit]
    )


def link_order(address: str, order_id: int) -> Order | None:
    """One of the address's orders, or None when the id is not one of them."""
    return Order.objects.filter(pk=order_id, email__iexact=address).first()


def orders_link_request(*, email: str) -> None:
    """Have the worker send the link to `email` if it has orders. The worker finds out, not the request, so
    the customer's answer is the same, and as quick, whether or not we know the address."""
    enqueue_on_commit("returns_desk.notifications.links.orders_link_send", email.strip())


def orders_link_send(email: str) -> str:
    """Task: write the link email to the outbox when the address has orders (once per address and minute,
    so a double submit sends one); nothing when it has none."""
    newest = Order.objects.filter(email__iexact=email.strip()).order_by("-placed_at", "-pk").first()
    if newest is None:
        return "orders link: no orders for that address"
    context = {
        "shop_name": settings.SHOP_NAME,
        "orders_url": orders_link_url(newest),
        "valid_hours": valid_hours(),
        "start_url": settings.SITE_URL + reverse("portal:start"),
    }
    candidate = OutboundEmail(
        event_key=f"orders-link:{_fingerprint(newest.email)}:{clock.now():%Y%m%d%H%M}",
        kind=KIND,
        to_email=newest.email,  # the address the shop has, not the spelling typed
        subject=" ".join(plain_text(f"email/{KIND}/subject.txt", context).split()),
        text_body=plain_text(f"email/{KIND}/body.txt", context),
        html_body=render_to_string(f"email/{KIND}/body.html", context),
        message_id=make_msgid("orders-link", domain=urlparse(settings.SITE_URL).hostname or "returns.local"),
        created_at=clock.now(),
    )
    with transaction.atomic():
        OutboundEmail.objects.bulk_create([candidate], ignore_conflicts=True)
        queued = OutboundEmail.objects.get(event_key=candidate.event_key)
        if queued.message_id == candidate.message_id:
            enqueue_on_commit("returns_desk.notifications.tasks.send_email", queued.pk)
    return f"orders link: email {queued.pk}"
