"""Order import (JSON and CSV, command and admin) and the signed order webhook."""

import itertools
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.orders.webhooks import signature_for

pytestmark = pytest.mark.django_db

GOOD_CSV = """number,email,customer_name,shipping_address,placed_at,delivered_at,currency,shipping_paid,amount_paid,payment_reference,sku,title,category,unit_price,quantity,final_sale
200001,Ann@Example.com,Ann Lee,1 Mill Lane,2026-11-01T10:00:00Z,2026-11-04T12:00:00Z,USD,4.95,102.95,pi_1,TOP-A-M,Shirt A (M),Tops,49.00,2,no
200001,Ann@Example.com,Ann Lee,1 Mill Lane,2026-11-01T10:00:00Z,2026-11-04T12:00:00Z,USD,4.95,102.95,pi_1,ACC-B,Belt B,accessories,0,1,yes
200002,bo@example.com,Bo Park,2 Quay St,2026-11-02,,USD,0,3900,pi_2,ACC-B,Belt B,accessories,3900,1,false
"""

BAD_CSV = """number,email,customer_name,shipping_address,placed_at,delivered_at,currency,shipping_paid,amount_paid,payment_reference,sku,title,category,unit_price,quantity,final_sale
200010,not-an-email,Cy,,2026-11-01T10:00:00Z,,USD,0,1000,pi_3,S-1,Sock,acc,10.00,1,no
200011,dee@example.com,Dee,,yesterday,,XYZ,0,500,pi_4,S-2,Sock,acc,5.00,0,maybe
200012,eve@example.com,Eve,,2026-11-05T10:00:00Z,2026-11-01T10:00:00Z,USD,0,9999,pi_5,S-3,Sock,acc,1.00,1,no
"""


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    return path


def test_csv_import_creates_orders_lines_and_products(tmp_path, capsys):
    call_command("import_orders", str(write(tmp_path, "orders.csv", GOOD_CSV)))
    assert "2 created, 0 updated" in capsys.readouterr().out
    ann = Order.objects.get(number="200001")
    assert (ann.email, ann.amount_paid, ann.shipping_paid) == ("ann@example.com", 10295, 495)
    assert ann.delivered_at.isoformat() == "2026-11-04T12:00:00+00:00"
    shirt, belt = ann.lines.order_by("sku").reverse()
    assert (shirt.sku, shirt.unit_price, shirt.quantity, shirt.category) == ("TOP-A-M", 4900, 2, "tops")
    assert belt.final_sale and belt.product.sku == "ACC-B"
    assert Order.objects.get(number="200002").delivered_at is None
    assert Product.objects.filter(sku__in=["TOP-A-M", "ACC-B"]).count() == 2


def test_importing_the_same_file_twice_updates_and_duplicates_nothing(tmp_path):
    path = write(tmp_path, "orders.csv", GOOD_CSV)
    call_command("import_orders", str(path))
    call_command("import_orders", str(path))
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3


def test_csv_errors_are_listed_with_row_numbers_and_nothing_is_imported(tmp_path, capsys):
    mixed = BAD_CSV + GOOD_CSV.split("\n", 1)[1]  # good orders after the bad ones
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_orders", str(write(tmp_path, "orders.csv", mixed)))
    err = capsys.readouterr().err
    assert "Row 2: email “not-an-email” is not an email address." in err
    assert "Row 3: placed_at “yesterday” is not a date and time" in err
    assert "Row 3: currency “XYZ” is not one we take" in err
    assert "Row 3: quantity must be at least 1." in err
    assert "Row 3: final_sale “maybe” should be true or false." in err
    assert "Row 4: delivered_at is before placed_at." in err
    assert "Row 4: order 200012: amount_paid 9999 is more than its lines and shipping (100)" in err
    assert Order.objects.count() == 0 and Product.objects.count() == 0


def test_csv_rows_of_one_order_must_agree(tmp_path, capsys):
    lines = GOOD_CSV.splitlines()
    lines[2] = lines[2].replace("Ann@Example.com", "other@example.com")
    with pytest.raises(CommandError):
        call_command("import_orders", str(write(tmp_path, "orders.csv", "\n".join(lines))))
    assert "Row 3: order 200001 has different email than at row 2." in capsys.readouterr().err


def test_json_import_and_its_errors(tmp_path, capsys):
    good = [
        {
            "number": "#300001",
            "email": "fay@example.com",
            "placed_at": "2026-11-01T09:00:00Z",
            "delivered_at": None,
            "currency": "EUR",
            "amount_paid": 2500,
            "lines": [{"sku": "X-1", "title": "Cap", "category": "accessories", "unit_price": 2500, "quantity": 1}],
        }
    ]
    call_command("import_orders", str(write(tmp_path, "orders.json", json.dumps(good))))
    assert Order.objects.get(number="300001").currency == "EUR"
    bad = [good[0], {**good[0], "lines": [{"sku": "", "title": "Cap", "unit_price": 12.5, "quantity": 1}]}, "nope"]
    with pytest.raises(CommandError):
        call_command("import_orders", str(write(tmp_path, "bad.json", json.dumps(bad))))
    err = capsys.readouterr().err
    assert "Row 2: line 1: sku is missing." in err
    assert "Row 2: line 1: unit_price must be whole cents (an integer), not 12.5." in err
    assert "Row 2: order 300001 appears twice (first at row 1)." in err
    assert "Row 3: each order must be an object with fields." in err
    with pytest.raises(CommandError):
        call_command("import_orders", str(write(tmp_path, "broken.json", "[{")))
    assert "Row 0: The file is not valid JSON" in capsys.readouterr().err


def test_admin_import_shows_errors_and_imports_good_files(client, manager):
    client.force_login(manager)
    page = client.get("/admin/orders/order/")
    assert "Import orders" in page.content.decode()
    bad = client.post(
        "/admin/orders/order/import/", {"file": SimpleUploadedFile("orders.csv", BAD_CSV.encode(), "text/csv")}
    )
    assert bad.status_code == 400
    assert "Row 2: email “not-an-email” is not an email address." in bad.content.decode()
    assert Order.objects.count() == 0
    good = client.post(
        "/admin/orders/order/import/",
        {"file": SimpleUploadedFile("orders.csv", GOOD_CSV.encode(), "text/csv")},
        follow=True,
    )
    assert "Imported orders.csv: 2 created, 0 updated." in good.content.decode()


def test_signed_order_webhook_creates_then_updates_idempotently(client, settings):
    settings.SHOP_WEBHOOK_SECRET = "whsec-shop"
    order = {
        "number": "400001",
        "email": "gus@example.com",
        "placed_at": "2026-11-10T09:00:00Z",
        "amount_paid": 1500,
        "lines": [{"sku": "Y-1", "title": "Mug", "category": "home", "unit_price": 1500, "quantity": 1}],
    }

    seconds = itertools.count(int(time.time()) - 60)  # each push signed afresh, a second after the last

    def push(payload, secret="whsec-shop"):
        body, timestamp = json.dumps(payload).encode(), next(seconds)
        return client.post(
            "/webhooks/orders/",
            body,
            content_type="application/json",
            HTTP_X_SHOP_TIMESTAMP=str(timestamp),
            HTTP_X_SHOP_SIGNATURE=signature_for(body, secret, timestamp),
        )

    assert push(order).json() == {"created": ["400001"], "updated": []}
    delivered = {**order, "delivered_at": "2026-11-12T15:00:00Z"}
    assert push(delivered).json() == {"created": [], "updated": ["400001"]}
    assert push(delivered).json() == {"created": [], "updated": ["400001"]}
    assert Order.objects.get(number="400001").delivered_at is not None
    assert OrderLine.objects.filter(order__number="400001").count() == 1
    forged = push({**order, "amount_paid": 1}, secret="guess")
    assert forged.status_code == 403 and Order.objects.get(number="400001").amount_paid == 1500
    invalid = push({**order, "email": "nope"})
    assert invalid.status_code == 400 and "email “nope” is not an email address." in invalid.json()["problems"][0]


def test_order_webhook_is_refused_until_configured(client, settings):
    settings.SHOP_WEBHOOK_SECRET = ""
    response = client.post("/webhooks/orders/", b"{}", content_type="application/json")
    assert response.status_code == 400 and "SHOP_WEBHOOK_SECRET" in response.json()["error"]


def test_an_erased_customers_order_stays_erased_when_imported_again(tmp_path):
    """The shop may push an order again after its customer was erased: the name and addresses do not come back;
    the figures still update."""
    call_command("import_orders", str(write(tmp_path, "orders.csv", GOOD_CSV)))
    Order.objects.filter(number="200002").update(
        email="erased-0a1b2c3d4e5f6a7b@erased.invalid", customer_name="", shipping_address=""
    )
    again = GOOD_CSV.replace("3900,pi_2", "3800,pi_2").replace(
        "ACC-B,Belt B,accessories,3900", "ACC-B,Belt B,accessories,3800"
    )
    call_command("import_orders", str(write(tmp_path, "again.csv", again)))
    order = Order.objects.get(number="200002")
    assert (order.email, order.customer_name, order.shipping_address) == (
        "erased-0a1b2c3d4e5f6a7b@erased.invalid",
        "",
        "",
    )
    assert order.amount_paid == 3800
    assert Order.objects.get(number="200001").customer_name == "Ann Lee"
