"""Reading orders from the shop: JSON (a list of orders with their lines) or CSV (one row per order line).

Every row is checked and every problem reported with its row number; the caller imports nothing unless
there are no problems at all.

JSON: `[{"number": "100123", "email": "…", "customer_name": "…", "shipping_address": "…",
"placed_at": "2026-11-02T10:00:00Z", "delivered_at": "2026-11-05T14:00:00Z" | null, "currency": "USD",
"shipping_paid": 495, "amount_paid": 10295, "payment_reference": "pi_…",
"lines": [{"sku": "…", "title": "…", "category": "…", "unit_price": 4900, "quantity": 2,
"final_sale": false}], "updated_at": "2026-11-05T14:00:00Z"}]` — amounts in minor units (cents). A single object
is one order. `updated_at` (optional, also as a CSV column) is when the shop last changed the order: an import
dated earlier than what the desk holds leaves that order as it is.

CSV: a header row, then one row per line with the order's columns repeated: number, email,
customer_name, shipping_address, placed_at, delivered_at, currency, shipping_paid, amount_paid,
payment_reference, sku, title, category, unit_price, quantity, final_sale. Amounts may be written as
cents (4900) or with a decimal point (49.00).
"""

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime

from returns_desk.core.money import CURRENCY_CHOICES, parse_money

CURRENCIES = {code for code, _ in CURRENCY_CHOICES}
CSV_COLUMNS = [
    "number",
    "email",
    "customer_name",
    "shipping_address",
    "placed_at",
    "delivered_at",
    "currency",
    "shipping_paid",
    "amount_paid",
    "payment_reference",
    "sku",
    "title",
    "category",
    "unit_price",
    "quantity",
    "final_sale",
]
ORDER_FIELDS = CSV_COLUMNS[:10]
TRUE = {"1", "true", "yes", "y"}
FALSE = {"", "0", "false", "no", "n"}


@dataclass
class LineInput:
    sku: str
    title: str
    category: str
    unit_price: int
    quantity: int
    final_sale: bool = False


@dataclass
class OrderInput:
    number: str
    email: str
    customer_name: str
    shipping_address: str
    placed_at: dt.datetime
    delivered_at: dt.datetime | None
    currency: str
    shipping_paid: int
    amount_paid: int
    payment_reference: str
    lines: list[LineInput] = field(default_factory=list)
    updated_at: dt.datetime | None = None  # when the shop last changed it; None: undated
    row: int = 0  # where it starts in the file, for messages


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}: {self.message}"


class Problems(list):
    def add(self, row: int, message: str) -> None:
        self.append(RowError(row, message))


def _text(value, name: str, row: int, problems: Problems, *, required=True, max_length=200) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        problems.add(row, f"{name} is missing.")
    elif len(text) > max_length:
        problems.add(row, f"{name} is longer than {max_length} characters.")
    return text


def _moment(value, name: str, row: int, problems: Problems, *, required=True) -> dt.datetime | None:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            problems.add(row, f"{name} is missing.")
        return None
    parsed = parse_datetime(text)
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12, 0))
        except ValueError:
            problems.add(row, f"{name} “{text}” is not a date and time like 2026-11-02T10:00:00Z.")
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _amount(value, name: str, row: int, problems: Problems, *, required=True) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(row, f"{name} is missing.")
        return 0
    if isinstance(value, bool):
        problems.add(row, f"{name} must be an amount.")
        return 0
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        problems.add(row, f"{name} must be whole cents (an integer), not {value}.")
        return 0
    else:
        text = str(value).strip()
        try:
            amount = int(text) if text.lstrip("-").isdigit() else parse_money(text)
        except ValueError:
            problems.add(row, f"{name} “{text}” is not an amount.")
            return 0
    if amount < 0:
        problems.add(row, f"{name} cannot be negative.")
    return amount


def _quantity(value, row: int, problems: Problems) -> int:
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        problems.add(row, f"quantity “{value}” is not a whole number.")
        return 0
    if quantity < 1:
        problems.add(row, "quantity must be at least 1.")
    return quantity


def _flag(value, row: int, problems: Problems) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in TRUE:
        return True
    if text not in FALSE:
        problems.add(row, f"final_sale “{value}” should be true or false.")
    return False


def _order(data: dict, row: int, problems: Problems) -> OrderInput:
    email = _text(data.get("email"), "email", row, problems, max_length=254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.add(row, f"email “{email}” is not an email address.")
    currency = _text(data.get("currency") or "USD", "currency", row, problems, max_length=3).upper()
    if currency and currency not in CURRENCIES:
        problems.add(row, f"currency “{currency}” is not one we take ({', '.join(sorted(CURRENCIES))}).")
    placed = _moment(data.get("placed_at"), "placed_at", row, problems)
    delivered = _moment(data.get("delivered_at"), "delivered_at", row, problems, required=False)
    if placed and delivered and delivered < placed:
        problems.add(row, "delivered_at is before placed_at.")
    return OrderInput(
        number=_text(data.get("number"), "number", row, problems, max_length=32).lstrip("#"),
        email=email.lower(),
        customer_name=_text(data.get("customer_name"), "customer_name", row, problems, required=False),
        shipping_address=_text(
            data.get("shipping_address"), "shipping_address", row, problems, required=False, max_length=1000
        ),
        placed_at=placed,
        delivered_at=delivered,
        currency=currency,
        shipping_paid=_amount(data.get("shipping_paid"), "shipping_paid", row, problems, required=False),
        amount_paid=_amount(data.get("amount_paid"), "amount_paid", row, problems),
        payment_reference=_text(
            data.get("payment_reference"), "payment_reference", row, problems, required=False, max_length=100
        ),
        updated_at=_moment(data.get("updated_at"), "updated_at", row, problems, required=False),
        row=row,
    )


def _line(data: dict, row: int, problems: Problems) -> LineInput:
    return LineInput(
        sku=_text(data.get("sku"), "sku", row, problems, max_length=64),
        title=_text(data.get("title"), "title", row, problems),
        category=_text(data.get("category"), "category", row, problems, max_length=64).lower(),
        unit_price=_amount(data.get("unit_price"), "unit_price", row, problems),
        quantity=_quantity(data.get("quantity"), row, problems),
        final_sale=_flag(data.get("final_sale"), row, problems),
    )


def _check_totals(order: OrderInput, problems: Problems) -> None:
    if not order.lines:
        problems.add(order.row, f"order {order.number or '(no number)'} has no lines.")
        return
    lines_total = sum(line.unit_price * line.quantity for line in order.lines) + order.shipping_paid
    if order.amount_paid > lines_total:
        problems.add(
            order.row,
            f"order {order.number}: amount_paid {order.amount_paid} is more than its lines and shipping "
            f"({lines_total}); refunds could then exceed what was sold.",
        )
    skus = [line.sku for line in order.lines]
    if len(set(skus)) != len(skus):
        problems.add(order.row, f"order {order.number}: a SKU appears on two lines; put the quantity on one.")


def _check_unique_numbers(orders: list[OrderInput], problems: Problems) -> None:
    seen: dict[str, int] = {}
    for order in orders:
        if order.number in seen:
            problems.add(order.row, f"order {order.number} appears twice (first at row {seen[order.number]}).")
        seen.setdefault(order.number, order.row)


def parse_json(raw: bytes | str) -> tuple[list[OrderInput], list[RowError]]:
    problems = Problems()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:  # RecursionError: nested thousands deep
        return [], [RowError(0, f"The file is not valid JSON: {error}.")]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return [], [RowError(0, "Expected a list of orders (or one order object).")]
    orders = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            problems.add(index, "each order must be an object with fields.")
            continue
        order = _order(item, index, problems)
        lines = item.get("lines")
        if not isinstance(lines, list):
            problems.add(index, "lines must be a list of order lines.")
            lines = []
        for position, line in enumerate(lines, start=1):
            if not isinstance(line, dict):
                problems.add(index, f"line {position} must be an object with fields.")
                continue
            line_problems = Problems()
            order.lines.append(_line(line, index, line_problems))
            problems.extend(RowError(e.row, f"line {position}: {e.message}") for e in line_problems)
        _check_totals(order, problems)
        orders.append(order)
    _check_unique_numbers(orders, problems)
    return orders, sorted(problems, key=lambda e: e.row)


def parse_csv(raw: bytes | str) -> tuple[list[OrderInput], list[RowError]]:
    """Rows are numbered as a spreadsheet shows them: the header is row 1."""
    problems = Problems()
    text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowError(1, f"The header lacks the column(s): {', '.join(missing)}.")]
    orders: dict[str, OrderInput] = {}
    first_values: dict[str, dict] = {}
    for row_number, row in enumerate(reader, start=2):
        number = (row.get("number") or "").strip().lstrip("#")
        if number in orders:
            order = orders[number]
            differing = [c for c in ORDER_FIELDS if (row.get(c) or "").strip() != first_values[number][c]]
            if differing:
                problems.add(
                    row_number,
                    f"order {number} has different {', '.join(differing)} than at row {order.row}.",
                )
        else:
            order = _order(row, row_number, problems)
            orders[order.number or f"(row {row_number})"] = order
            first_values[number] = {c: (row.get(c) or "").strip() for c in ORDER_FIELDS}
        order.lines.append(_line(row, row_number, problems))
    for order in orders.values():
        _check_totals(order, problems)
    if not orders:
        problems.add(2, "The file has no order rows.")
    return list(orders.values()), sorted(problems, key=lambda e: e.row)


def parse_file(name: str, raw: bytes) -> tuple[list[OrderInput], list[RowError]]:
    if name.lower().endswith(".json"):
        return parse_json(raw)
    if name.lower().endswith(".csv"):
        return parse_csv(raw)
    return [], [RowError(0, "Give a .json or .csv file.")]
