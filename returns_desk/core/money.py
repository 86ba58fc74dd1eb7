"""Money is an integer number of minor units (cents) and an ISO 4217 currency code; never a float."""

import re

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
CURRENCY_CHOICES = [(code, code) for code in CURRENCY_SYMBOLS]


def format_money(amount_minor: int, currency: str) -> str:
    """Render 12345, "USD" as "$123.45" (and -500 as "-$5.00")."""
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(int(amount_minor)), 100)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    figure = f"{units:,}.{cents:02d}"
    return f"{sign}{symbol}{figure}" if symbol else f"{sign}{figure} {currency.upper()}"


def percent_of(amount_minor: int, percent: int | float) -> int:
    """`percent` % of an amount, rounded half up to the minor unit, computed in integers."""
    # percent is stored with two decimals at most, so scale to basis points to stay exact.
    basis_points = round(percent * 100)
    return (amount_minor * basis_points + 5000) // 10000


def parse_money(text: str) -> int:
    """'12.5' or '12.50' or '1,012.50' -> minor units; ValueError with a message that fits what was typed."""
    typed = (text or "").strip().replace(" ", "").lstrip("$€£")
    if not typed:
        raise ValueError("Enter an amount, like 12.50.")
    if re.search(r",\d{1,2}$", typed):  # "59,00": a decimal comma, not thousands
        raise ValueError("Use a point for the decimals, like 59.00.")
    cleaned = typed.replace(",", "")
    if cleaned.startswith("-"):
        raise ValueError("Enter an amount above zero.")
    units, _, cents = cleaned.partition(".")
    if not (units or cents) or (units and not units.isdigit()) or (cents and not cents.isdigit()):
        raise ValueError("Enter the amount in figures, like 12.50.")
    if len(cents) > 2:
        raise ValueError("Enter an amount with at most two decimals, like 12.50.")
    if len(units) > 12:
        raise ValueError("That amount is far too large.")
    return int(units or "0") * 100 + int((cents or "0").ljust(2, "0"))
