"""CSV files a spreadsheet opens as data, never as formulas (CSV or "formula" injection).

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` (and, in some, a
leading tab or carriage return) as a formula: a customer's description `=HYPERLINK("https://evil", "Open")`
becomes a live link on a manager's screen, and `=cmd|' /C calc'!A0` asks to run a program. Following OWASP,
every text cell that starts with one of those characters (also after leading spaces, and their full-width
forms, which some spreadsheets read the same) is written with a single quote in front: the spreadsheet shows
the text, the quote tells it "this is text".

Numbers stay numbers: a cell that is an int, float or Decimal in Python is written as it is, so a negative
amount (-12.50) still adds up in a column. Only text is ever prefixed, including text that merely looks like
a negative number ("-5" as a string becomes "'-5"): it came in as text, and text is where formulas hide.

Every CSV export writes through `writer()`; ruff's banned-API rule keeps `csv.writer` out of other modules.
"""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")


def safe_cell(value: Any) -> Any:
    """The value to write: numbers as they are, text neutralised if a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    first = text.lstrip(" ")[:1]
    if first and first in FORMULA_STARTS:
        return "'" + text
    return text


class SafeWriter:
    """`csv.writer`'s writerow/writerows, each cell passed through `safe_cell`."""

    def __init__(self, fileobj, **fmtparams):
        self._writer = csv.writer(fileobj, **fmtparams)  # noqa: TID251 - this module is the sanctioned wrapper

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fileobj, **fmtparams) -> SafeWriter:
    """A CSV writer for exports: like `csv.writer(fileobj, **fmtparams)`, with formula cells neutralised."""
    return SafeWriter(fileobj, **fmtparams)
