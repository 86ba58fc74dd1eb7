"""The "Email me a link to my orders" way in: asked for on the start page, sent through the outbox by the
worker, opening the address's orders for a day; never blocked by anyone's failed lookups."""

import datetime as dt
import re
import time
from unittest import mock
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.notifications.links import orders_link_url
from returns_desk.notifications.models import OutboundEmail
from returns_desk.returns import services
from tests.factories import OrderFactory, OrderLineFactory

from .shop import EMAIL, build_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(reference_data):
    return build_shop()


def client_at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def ask_for_link(client, email=EMAIL):
    return client.post("/returns/orders/link/", {"link-email": email})


def link_in(text: str) -> str:
    """The path of the orders link in an email part."""
    return urlparse(re.search(r"https?://[^\s\"]+/returns/orders/[^\s\"/]+/", text).group(0)).path


def link_to(order) -> str:
    return urlparse(orders_link_url(order)).path


def older_order(*, number: str, days_ago: int, email: str = EMAIL):
    placed = timezone.now() - dt.timedelta(days=days_ago)
    order = OrderFactory(number=number, email=email, placed_at=placed, delivered_at=placed + dt.timedelta(days=2))
    OrderLineFactory(order=order, title=f"Socks of {number}")
    return order


# --- asking for the link ------------------------------------------------------------------------------------


def test_the_start_page_offers_the_link_beside_the_lookup(client, db):
    page = client.get("/returns/").content.decode()
    assert "Email me a link to my orders" in page
    assert 'action="/returns/orders/link/"' in page
    assert 'id="id_link-email"' in page and 'id="id_email"' in page  # two email fields, two ids


def test_known_and_unknown_addresses_get_the_same_answer_and_only_a_known_one_gets_mail(
    shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask_for_link(client_at("203.0.113.7"))
        unknown = ask_for_link(client_at("203.0.113.8"), email="nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/returns/orders/link/sent/"
    page = client_at("203.0.113.8").get(unknown["Location"]).content.decode()
    assert "If we have orders for that address, we have sent a link to them." in page
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    assert not OutboundEmail.objects.filter(to_email="nobody@example.com").exists()


def test_the_link_email_is_queued_once_sent_by_the_worker_and_its_text_part_has_no_html_entities(
    shop, settings, django_capture_on_commit_callbacks
):
    settings.SHOP_NAME = "Smith & Daughters' <Outfitters>"
    customer = client_at("203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_link(customer, email="  Casey@Example.com ")
        ask_for_link(customer)  # a double submit
    [email] = OutboundEmail.objects.filter(kind="orders_link")
    assert email.to_email == EMAIL and email.status == OutboundEmail.Status.SENT and email.return_request is None
    [message] = mail.outbox
    assert message.to == [EMAIL]
    assert "Smith & Daughters' <Outfitters>" in message.body
    assert "don't forward" in message.body
    assert not re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", message.body, re.I)
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert "Smith &amp; Daughters&#x27; &lt;Outfitters&gt;" in html and "<Outfitters>" not in html
    assert link_in(message.body) == link_in(html)


def test_link_requests_are_limited_per_address_and_per_client(shop, settings):
    settings.PORTAL_LINK_LIMIT_PER_EMAIL, settings.PORTAL_LINK_LIMIT_PER_CLIENT = 2, 3
    for n in range(2):
        assert ask_for_link(client_at(f"203.0.113.{n + 1}")).status_code == 302
    bombed = ask_for_link(client_at("203.0.113.9"))
    assert bombed.status_code == 429
    assert "A link for that address was asked for several times recently" in bombed.content.decode()
    assert bombed["Retry-After"]

    sender = client_at("198.51.100.5")
    answers = [ask_for_link(sender, email=f"someone{n}@example.com").status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]
    assert "Too many link requests from your connection" in ask_for_link(sender, email="x@example.com").content.decode()


def test_a_mistyped_address_is_shown_again_with_its_error_and_nothing_is_sent(client, shop):
    response = ask_for_link(client, email="casey@")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="casey@"' in page and "Enter a valid email address." in page
    assert not OutboundEmail.objects.exists()


def test_opening_the_request_address_takes_you_to_the_form(client, db):
    response = client.get("/returns/orders/link/")
    assert response.status_code == 302 and response["Location"] == "/returns/#orders-link"


def test_the_link_is_sent_and_opens_while_the_clients_lookups_are_slowed(
    shop, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_LOOKUP_LIMIT = 2
    settings.PORTAL_LOOKUP_TARGET_LIMIT = 2
    customer = client_at("203.0.113.7")
    for n in range(3):
        customer.post("/returns/", {"order_number": f"{900000 + n}", "email": EMAIL})
    assert customer.post("/returns/", {"order_number": "100123", "email": EMAIL}).status_code == 429
    with django_capture_on_commit_callbacks(execute=True):
        assert ask_for_link(customer).status_code == 302
    [message] = mail.outbox
    page = customer.get(link_in(message.body))
    assert page.status_code == 200 and "Order 100123" in page.content.decode()


# --- the page the link opens --------------------------------------------------------------------------------


def test_the_link_lists_the_addresses_orders_newest_first_with_their_returns(client, shop):
    older = older_order(number="SO-90001", days_ago=40)
    OrderFactory(number="SO-77777", email="someone.else@example.com")
    rr = services.return_create(
        order=shop.order, items=[services.RequestedItem(shop.shirt.pk, 1, "damaged")], by=Actor.customer()
    )
    page = client.get(link_to(older)).content.decode()
    assert page.index("Order 100123") < page.index("Order SO-90001")
    assert "SO-77777" not in page
    assert f'href="/returns/status/{rr.customer_token}/">Return {rr.rma_number}</a>' in page
    assert "Socks of SO-90001" in page
    assert page.count("Start a return<span") == 2
    assert "no-store" in client.get(link_to(older))["Cache-Control"]


def test_the_orders_page_queries_do_not_grow_with_the_orders(client, shop, settings):
    url = link_to(shop.order)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(6):
        order = older_order(number=f"SO-8000{n}", days_ago=10 + n)
        services.return_create(
            order=order, items=[services.RequestedItem(order.lines.get().pk, 1, "damaged")], by=Actor.customer()
        )
    assert queries() == few


def test_the_list_is_bounded_to_the_newest_orders(client, shop, settings):
    settings.PORTAL_ORDERS_LINK_MAX_ORDERS = 2
    for n in range(3):
        older_order(number=f"SO-7000{n}", days_ago=20 + n)
    page = client.get(link_to(shop.order)).content.decode()
    assert "Order 100123" in page and "Order SO-70000" in page and "Order SO-70001" not in page
    assert "Only your 2 newest orders are shown here." in page


def test_start_a_return_opens_a_draft_for_that_order_at_the_items_step(client, shop):
    older = older_order(number="SO-90001", days_ago=3)
    url = link_to(shop.order)
    response = client.post(f"{url}start/", {"order": older.pk})
    assert response.status_code == 302 and response["Location"] == "/returns/new/items/"
    assert client.session["portal_return_draft"]["order_id"] == older.pk
    assert "Order SO-90001" in client.get("/returns/new/items/").content.decode()


def test_start_a_return_refuses_an_order_of_another_address(client, shop):
    stranger_order = OrderFactory(number="SO-77777", email="someone.else@example.com")
    url = link_to(shop.order)
    for data in ({"order": stranger_order.pk}, {"order": "abc"}, {}):
        response = client.post(f"{url}start/", data, follow=True)
        assert response.status_code == 200
        assert "That order is not one of yours on this page." in response.content.decode()
    assert "portal_return_draft" not in client.session


def test_a_tampered_link_says_so_and_offers_a_new_one(client, shop):
    url = link_to(shop.order)
    token = url.split("/")[-2]
    altered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (f"/returns/orders/{altered}/", "/returns/orders/not-a-link/"):
        response = client.get(bad)
        assert response.status_code == 400
        page = response.content.decode()
        assert "This link doesn&#x27;t work" in page
        assert 'action="/returns/orders/link/"' in page and "Email me a new link" in page
    assert client.post(f"/returns/orders/{altered}/start/", {"order": shop.order.pk}).status_code == 400
    assert "portal_return_draft" not in client.session


def test_an_expired_link_says_so_and_offers_a_new_one(client, shop):
    a_day_and_a_bit_ago = time.time() - 24 * 3600 - 60
    with mock.patch("django.core.signing.time.time", return_value=a_day_and_a_bit_ago):
        url = link_to(shop.order)
    response = client.get(url)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired: links to your orders work for 24 hours." in page
    assert "Email me a new link" in page
    with mock.patch("django.core.signing.time.time", return_value=a_day_and_a_bit_ago + 120):
        url = link_to(shop.order)
    assert client.get(url).status_code == 200  # a day less a minute old: still good


def test_a_link_stops_working_when_its_order_changes_address(client, shop):
    url = link_to(shop.order)
    shop.order.email = "new.owner@example.com"
    shop.order.save(update_fields=["email"])
    assert client.get(url).status_code == 400
