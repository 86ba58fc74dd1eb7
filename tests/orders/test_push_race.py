"""Twenty pushes at the same moment, all naming a product the desk has never seen.

Each thread posts through its own test client and database connection, released at once by a barrier. Before
the upsert, the second insert of the new SKU (or order number) raised `IntegrityError` and answered 500, and
that push's order was not imported. Now every push answers 200 and the desk holds one row per SKU and number.

PostgreSQL only: SQLite's IMMEDIATE transactions run the pushes one after another, which proves nothing about
inserts racing (CI runs the suite a second time on PostgreSQL, where this runs).
"""

import json
import threading
import time

import pytest
from django.db import connections
from django.test import Client

from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.orders.webhooks import signature_for
from tests.conftest import on_postgres

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not on_postgres(),
        reason="needs PostgreSQL (DATABASE_URL=postgres://...): it races inserts, which SQLite runs one at a time",
    ),
    pytest.mark.django_db(transaction=True),
]

PUSHES = 20
SECRET = "whsec-shop"


def order_json(number: str, sku: str) -> dict:
    return {
        "number": number,
        "email": "race@example.com",
        "placed_at": "2026-11-10T09:00:00Z",
        "updated_at": "2026-11-10T09:00:00Z",
        "amount_paid": 2500,
        "lines": [{"sku": sku, "title": "Race mug", "category": "home", "unit_price": 2500, "quantity": 1}],
    }


def push_at_once(payloads: list[dict]) -> list[tuple[int, str]]:
    """Post each payload from a thread of its own, all released together; (status, body) of each answer."""
    barrier = threading.Barrier(len(payloads))
    answers: list[tuple[int, str]] = []
    guard = threading.Lock()
    now = int(time.time())

    def pusher(i: int) -> None:
        body = json.dumps(payloads[i]).encode()
        stamp = now - i  # each push signed on its own, so none is a replay of another
        client = Client(raise_request_exception=False)
        try:
            barrier.wait(timeout=30)
            response = client.post(
                "/webhooks/orders/",
                body,
                content_type="application/json",
                HTTP_X_SHOP_TIMESTAMP=str(stamp),
                HTTP_X_SHOP_SIGNATURE=signature_for(body, SECRET, stamp),
            )
            answer = (response.status_code, response.content.decode())
        finally:
            connections.close_all()
        with guard:
            answers.append(answer)

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.fixture(autouse=True)
def shop(settings):
    settings.SHOP_WEBHOOK_SECRET = SECRET


def test_twenty_pushes_of_one_new_order_with_a_new_sku_all_succeed_and_import_it_once():
    answers = push_at_once([order_json("RACE-1", "NEW-SKU-1")] * PUSHES)

    assert len(answers) == PUSHES
    assert [status for status, _ in answers] == [200] * PUSHES, [a for a in answers if a[0] != 200]
    assert Order.objects.filter(number="RACE-1").count() == 1
    assert Product.objects.filter(sku="NEW-SKU-1").count() == 1
    line = OrderLine.objects.get(order__number="RACE-1")
    assert (line.sku, line.quantity, line.product.sku) == ("NEW-SKU-1", 1, "NEW-SKU-1")


def test_twenty_new_orders_sharing_a_new_sku_pushed_at_once_are_all_imported():
    answers = push_at_once([order_json(f"RACE-2-{i:02}", "NEW-SKU-2") for i in range(PUSHES)])

    assert [status for status, _ in answers] == [200] * PUSHES, [a for a in answers if a[0] != 200]
    assert sorted(json.loads(body)["created"][0] for _, body in answers) == [f"RACE-2-{i:02}" for i in range(PUSHES)]
    assert Order.objects.filter(number__startswith="RACE-2-").count() == PUSHES
    assert Product.objects.filter(sku="NEW-SKU-2").count() == 1
    assert OrderLine.objects.filter(sku="NEW-SKU-2", product__sku="NEW-SKU-2").count() == PUSHES
