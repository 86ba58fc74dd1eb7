"""The label renders without SVG (its codes are one-bit PNGs WeasyPrint embeds as they are) and without a query
once the return is read, and its codes still read: Code128 of the RMA, and a QR code of the status page's address.
How fast, against WeasyPrint's floor, is the bench's figure (label_pdf_ms beside label_pdf_floor_ms)."""

import io

import pytest
from barcode.charsets.code128 import CODES, STOP
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pypdf import PdfReader

from returns_desk.documents import codes, pdf, rendering
from returns_desk.documents.services import _return_for_documents
from tests.factories import OrderFactory, return_in_state

START_B, START_C, CODE_B, CODE_C = 104, 105, 100, 99


def decode_code128(modules: str) -> str:
    """Read Code128 (sets B and C) from its modules ("1" dark), checking the start, the checksum and the stop."""
    bars = modules.strip("0")
    stop = STOP + "11"  # the stop pattern ends with a two-module bar
    assert bars.endswith(stop), "no stop pattern"
    symbols = [CODES.index(bars[i : i + 11]) for i in range(0, len(bars) - len(stop), 11)]
    assert symbols[0] in (START_B, START_C), "not started in set B or C"
    *values, check = symbols[1:]
    assert check == (symbols[0] + sum(i * v for i, v in enumerate(values, start=1))) % 103, "bad checksum"
    text, code_c = "", symbols[0] == START_C
    for value in values:
        if code_c:  # set C: two digits a symbol, 100 switches to set B
            code_c = value != CODE_B
            text += f"{value:02d}" if code_c else ""
        else:  # set B: one character a symbol, 99 switches to set C
            code_c = value == CODE_C
            text += "" if code_c else chr(value + 32)
    return text


def modules_of(image: Image.Image) -> list[str]:
    """An image drawn one pixel per module back to its rows of modules."""
    grey = image.convert("L")
    width, height = grey.size
    return ["".join("1" if grey.getpixel((x, y)) < 128 else "0" for x in range(width)) for y in range(height)]


@pytest.fixture
def label(reference_data):
    rr = return_in_state("approved", unit_price=2500, quantity=2, order=OrderFactory(shipping_address="A\nB"))
    return _return_for_documents(rr.pk)


def test_the_label_renders_from_the_loaded_return_without_a_query(label):
    with CaptureQueriesContext(connection) as queries:
        rendering.render(label, "label")
    assert len(queries.captured_queries) == 0


def test_the_labels_barcode_reads_as_its_rma_and_its_qr_code_holds_the_status_address(label):
    reader = PdfReader(io.BytesIO(rendering.render(label, "label").content))
    images = [modules_of(image.image) for image in reader.pages[0].images]
    assert len(images) == 2
    barcode_rows = next(rows for rows in images if len(rows) == 1)
    assert decode_code128(barcode_rows[0]) == label.rma_number
    qr_rows = next(rows for rows in images if len(rows) > 1)
    assert qr_rows == codes.qr_modules(rendering.status_url(label))
    assert label.customer_token in rendering.status_url(label)


def test_the_decoder_refuses_a_damaged_barcode():
    assert decode_code128(codes.code128_modules("RMA-999099")) == "RMA-999099"
    modules = codes.code128_modules("RMA-000042")
    assert decode_code128(modules) == "RMA-000042"
    damaged = modules.replace("11", "10", 1)
    with pytest.raises((AssertionError, ValueError)):
        decode_code128(damaged)


def test_the_floor_page_is_a_4_by_6_inch_pdf():
    box = PdfReader(io.BytesIO(pdf.write_trivial_page())).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (288, 432)
