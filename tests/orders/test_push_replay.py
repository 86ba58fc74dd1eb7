"""The shop's order push: signed with its timestamp, accepted once and only while fresh, and never rolling an
order back to an older version (a late push, or one sent again)."""

import io
import json
import time

import pytest
from django.core.management import call_command

from returns_desk.core.models import WebhookReceipt
from returns_desk.orders.importing import parse_json
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.orders.services import orders_import
from returns_desk.orders.webhooks import signature_for

pytestmark = pytest.mark.django_db
URL = "/webhooks/orders/"
SECRET = "whsec-shop"


@pytest.fixture(autouse=True)
def shop(settings):
    settings.SHOP_WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_MAX_AGE_SECONDS = 300


def order_json(**changes) -> dict:
    order = {
        "number": "500001",
        "email": "dee@example.com",
        "customer_name": "Dee",
        "placed_at": "2026-11-10T09:00:00Z",
        "amount_paid": 4000,
        "lines": [{"sku": "MUG-1", "title": "Mug", "category": "home", "unit_price": 4000, "quantity": 1}],
    }
    return order | changes


def signed_push(payload, *, timestamp: int | None = None, secret: str = SECRET) -> dict:
    """The body and headers of a push, as the shop signs it."""
    body = json.dumps(payload).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "data": body,
        "content_type": "application/json",
        "HTTP_X_SHOP_TIMESTAMP": str(stamp),
        "HTTP_X_SHOP_SIGNATURE": signature_for(body, secret, stamp),
    }


def send(client, push: dict):
    client.raise_request_exception = False
    return client.post(URL, **push)


def test_a_captured_signature_sent_with_another_body_is_refused(client):
    captured = signed_push(order_json())
    assert send(client, captured).status_code == 200
    forged = captured | {"data": json.dumps(order_json(amount_paid=1, email="mallory@evil.example")).encode()}
    response = send(client, forged)
    assert response.status_code == 403 and "does not match" in response.json()["error"]
    assert Order.objects.values_list("email", "amount_paid").get() == ("dee@example.com", 4000)


def test_the_same_push_sent_again_is_refused_and_does_not_roll_the_order_back(client):
    first = signed_push(order_json(), timestamp=int(time.time()) - 20)
    assert send(client, first).json() == {"created": ["500001"], "updated": []}
    assert send(client, signed_push(order_json(customer_name="Dee Newman"))).json()["updated"] == ["500001"]

    replayed = send(client, first)

    assert replayed.status_code == 409 and "already used" in replayed.json()["error"]
    assert Order.objects.get().customer_name == "Dee Newman"


def test_a_year_old_signature_is_refused_and_imports_nothing(client):
    response = send(client, signed_push(order_json(), timestamp=int(time.time()) - 365 * 86400))
    assert response.status_code == 400 and "seconds old" in response.json()["error"]
    assert not Order.objects.exists() and not Product.objects.exists() and not WebhookReceipt.objects.exists()


def test_a_push_dated_an_hour_ahead_is_refused(client):
    response = send(client, signed_push(order_json(), timestamp=int(time.time()) + 3600))
    assert response.status_code == 400 and "ahead" in response.json()["error"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"HTTP_X_SHOP_TIMESTAMP": None}, "both required"),
        ({"HTTP_X_SHOP_SIGNATURE": None}, "both required"),
        ({"HTTP_X_SHOP_TIMESTAMP": "١٧٠٠٠٠٠٠٠٠"}, "ASCII digits"),
        ({"HTTP_X_SHOP_TIMESTAMP": "soon"}, "ASCII digits"),
        ({"HTTP_X_SHOP_SIGNATURE": "sha256=" + "é" * 64}, "64 lowercase hexadecimal"),
        ({"HTTP_X_SHOP_SIGNATURE": "md5=abc"}, "64 lowercase hexadecimal"),
    ],
    ids=["no_timestamp", "no_signature", "arabic_digits", "word", "accented_signature", "other_scheme"],
)
def test_missing_or_malformed_headers_are_refused_with_a_reason(client, headers, reason):
    push = signed_push(order_json()) | headers
    response = send(client, {k: v for k, v in push.items() if v is not None})
    assert response.status_code == 400, response.content
    assert reason in response.json()["error"]
    assert not Order.objects.exists() and not WebhookReceipt.objects.exists()


@pytest.mark.parametrize("body", ['{"number": ', "[1, 2]", '"text"', "\xff\xfe"], ids=["cut", "list", "str", "bytes"])
def test_a_signed_body_that_is_not_an_order_is_refused_and_its_signature_stays_unused(client, body):
    stamp = int(time.time())
    raw = body.encode("latin-1")
    push = {
        "data": raw,
        "content_type": "application/json",
        "HTTP_X_SHOP_TIMESTAMP": str(stamp),
        "HTTP_X_SHOP_SIGNATURE": signature_for(raw, SECRET, stamp),
    }
    response = send(client, push)
    assert response.status_code == 400 and response.json()["error"] == "Nothing was imported."
    assert response.json()["problems"]
    assert not Order.objects.exists() and not WebhookReceipt.objects.exists()


def test_an_older_version_pushed_after_a_newer_one_leaves_the_newer(client):
    v2 = order_json(customer_name="Dee v2", delivered_at="2026-11-12T10:00:00Z", updated_at="2026-11-12T10:00:05Z")
    v1 = order_json(customer_name="Dee v1", updated_at="2026-11-10T09:00:05Z")
    assert send(client, signed_push(v2)).json() == {"created": ["500001"], "updated": []}

    late = send(client, signed_push(v1))

    assert late.status_code == 200  # accepted, but nothing to do: sending it again would not help
    assert late.json()["stale"] == ["500001"] and "dated before" in late.json()["note"]
    order = Order.objects.get()
    assert (order.customer_name, order.delivered_at is not None) == ("Dee v2", True)
    assert order.shop_updated_at.isoformat() == "2026-11-12T10:00:05+00:00"


def test_without_updated_at_the_push_is_dated_by_its_signature(client):
    now = int(time.time())
    assert send(client, signed_push(order_json(customer_name="Later"), timestamp=now - 5)).status_code == 200
    late = send(client, signed_push(order_json(customer_name="Earlier"), timestamp=now - 30))
    assert late.json()["stale"] == ["500001"]
    assert Order.objects.get().customer_name == "Later"
    same_second = send(client, signed_push(order_json(customer_name="Same second"), timestamp=now - 5))
    assert same_second.json()["updated"] == ["500001"]  # not older: applied, last one wins
    assert Order.objects.get().customer_name == "Same second"


def test_a_newer_push_updates_lines_and_an_undated_file_import_still_applies(client):
    send(client, signed_push(order_json(updated_at="2026-11-10T09:00:00Z")))
    lines = [{"sku": "MUG-1", "title": "Mug", "category": "home", "unit_price": 2000, "quantity": 2}]
    v2 = order_json(lines=lines, updated_at="2026-11-11T09:00:00Z")
    assert send(client, signed_push(v2)).json()["updated"] == ["500001"]
    assert OrderLine.objects.values_list("quantity", "unit_price").get() == (2, 2000)

    orders, errors = parse_json(json.dumps(order_json(customer_name="Fixed by hand")))
    assert not errors
    result = orders_import(orders=orders)  # a person's file, undated: applied as it is
    assert (result.updated, result.stale) == (["500001"], [])
    order = Order.objects.get()
    assert order.customer_name == "Fixed by hand"
    assert order.shop_updated_at.isoformat() == "2026-11-11T09:00:00+00:00"  # its date is the last push's


def test_one_list_applies_the_newer_orders_and_names_the_stale_one(client):
    send(client, signed_push(order_json(updated_at="2026-11-12T00:00:00Z")))
    other = order_json(number="500002", updated_at="2026-11-01T00:00:00Z")
    answer = send(client, signed_push([order_json(updated_at="2026-11-11T00:00:00Z"), other])).json()
    assert (answer["created"], answer["updated"], answer["stale"]) == (["500002"], [], ["500001"])
    assert Order.objects.count() == 2


def test_a_file_dated_before_the_desks_order_is_left_as_it_is_and_the_import_says_so(client, tmp_path):
    send(client, signed_push(order_json(customer_name="Pushed", updated_at="2026-11-12T00:00:00Z")))
    path = tmp_path / "orders.json"
    path.write_text(json.dumps([order_json(customer_name="From file", updated_at="2026-11-01T00:00:00Z")]))
    out = io.StringIO()
    call_command("import_orders", str(path), stdout=out)
    assert "0 updated; left as they were, being older than the desk's: 500001." in out.getvalue()
    assert Order.objects.get().customer_name == "Pushed"
