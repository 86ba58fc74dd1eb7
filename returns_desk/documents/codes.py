"""The label's machine-readable codes as tiny one-bit PNGs: one pixel per module, enlarged by the PDF without
smoothing (`image-rendering: pixelated`).

WeasyPrint embeds such an image as it is, where a barcode or QR code as SVG is parsed and drawn shape by shape
on every render (about 35 ms of a label's 80). The codes read the same: Code128 of the RMA with its quiet zones,
and the status page's address as a QR code (error correction M).
"""

import base64
import io
from functools import lru_cache

import barcode
import segno
from PIL import Image

QUIET_MODULES = 10  # white either side of a Code128 barcode, as the symbology asks for


def code128_modules(text: str) -> str:
    """The barcode's modules, "1" for a dark one, quiet zones included."""
    quiet = "0" * QUIET_MODULES
    return quiet + barcode.get("code128", text).build()[0] + quiet


def qr_modules(data: str, *, border: int = 2) -> list[str]:
    """The QR code's rows of modules, "1" for a dark one."""
    matrix = segno.make(data, error="m", boost_error=False, micro=False).matrix_iter(scale=1, border=border)
    return ["".join("1" if dark else "0" for dark in row) for row in matrix]


def png_data_uri(rows: list[str]) -> str:
    """A one-bit PNG, one pixel per module, as a data: address."""
    image = Image.new("1", (len(rows[0]), len(rows)), 1)
    image.putdata([0 if module == "1" else 1 for row in rows for module in row])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# A return's codes never change: a label rendered again (its address changed, another worker) reuses them.
@lru_cache(maxsize=1024)
def code128_png(text: str) -> str:
    return png_data_uri([code128_modules(text)])


@lru_cache(maxsize=1024)
def qr_png(data: str) -> str:
    return png_data_uri(qr_modules(data))
