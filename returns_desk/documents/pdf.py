"""HTML to PDF through WeasyPrint, imported only when a document is rendered (WeasyPrint is slow to import).

Each thread keeps one font configuration: made afresh for every document, as a plain `write_pdf()` does,
fontconfig loads the system's fonts again each time (about 5 ms of CPU a document). Fonts are read-only, so
keeping them changes nothing in the PDF. A document's own stylesheet (the label's) is parsed once per process.
"""

import threading
from functools import lru_cache
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

_kept = threading.local()


def font_config() -> FontConfiguration:
    config = getattr(_kept, "font_config", None)
    if config is None:
        config = _kept.font_config = FontConfiguration()
    return config


@lru_cache(maxsize=8)
def stylesheet(name: str) -> CSS:
    """A stylesheet beside this module, parsed once (it has no @font-face, so no font configuration)."""
    return CSS(filename=str(Path(__file__).with_name(name)))


def write_pdf(html: str, *, base_url: str, stylesheets: tuple[str, ...] = ()) -> bytes:
    sheets = [stylesheet(name) for name in stylesheets]
    return HTML(string=html, base_url=base_url).write_pdf(stylesheets=sheets, font_config=font_config())


# The floor the label is measured against (bench: label_pdf_floor_ms): a trivial 4x6 in page, one line of text in
# the label's font, rendered as a plain WeasyPrint call does it (a fresh font configuration each time).
TRIVIAL_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><style>@page { size: 4in 6in; margin: 0.18in; } '
    'body { font-family: "DejaVu Sans", sans-serif; }</style></head><body><p>Return label</p></body></html>'
)


def write_trivial_page() -> bytes:
    return HTML(string=TRIVIAL_PAGE).write_pdf()
