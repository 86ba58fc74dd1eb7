"""What a photo is and how many pixels it has, read from the first bytes of its file: nothing is decoded.

A 100 KB PNG can declare 6000 × 6000 pixels and decompress to 100 MB or more; even opening some formats with an
image library allocates a canvas of the declared size. So the web request reads only the few header bytes each
format defines (PNG's IHDR chunk, the JPEG frame header, WebP's VP8/VP8L/VP8X chunk), and refuses by type and
pixel count before any decoder sees the file. The worker decodes later, under the same budget.
"""

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4), JPG (C8) or DAC (CC).
JPEG_FRAME_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})


class NotAnImage(ValueError):
    """The bytes are not a JPEG, PNG or WebP file whose header we can read."""


@dataclass(frozen=True)
class Header:
    format: str  # "JPEG", "PNG" or "WEBP", as Pillow names them
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_header(data: bytes) -> Header:
    """The format and size the file declares; `NotAnImage` when it is none of ours or its header is broken."""
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    raise NotAnImage("not a JPEG, PNG or WebP file")


def _sized(fmt: str, width: int, height: int) -> Header:
    if width <= 0 or height <= 0:
        raise NotAnImage(f"{fmt} header gives no size")
    return Header(fmt, width, height)


def _png(data: bytes) -> Header:
    """The first chunk must be IHDR (13 bytes: width, height, ...), its CRC intact."""
    if len(data) < 33:
        raise NotAnImage("PNG header is cut short")
    length, kind = struct.unpack(">I4s", data[8:16])
    body, (crc,) = data[16:29], struct.unpack(">I", data[29:33])
    if length != 13 or kind != b"IHDR" or zlib.crc32(kind + body) != crc:
        raise NotAnImage("PNG header is damaged")
    width, height = struct.unpack(">II", body[:8])
    return _sized("PNG", width, height)


def _jpeg(data: bytes) -> Header:
    """Walk the marker segments (each says its own length) to the first start-of-frame, which holds the size."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise NotAnImage("JPEG marker expected")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in JPEG_STANDALONE_MARKERS:
            at += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data, before any frame header
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if length < 2:
            break
        if marker in JPEG_FRAME_MARKERS:
            if at + 9 > len(data) or length < 7:
                break
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return _sized("JPEG", width, height)
        at += 2 + length
    raise NotAnImage("JPEG has no frame header")


def _webp(data: bytes) -> Header:
    """The first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended: the canvas size of all frames)."""
    if len(data) < 30:
        raise NotAnImage("WebP header is cut short")
    kind = data[12:16]
    if kind == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return _sized("WEBP", width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8L" and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return _sized("WEBP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return _sized("WEBP", width, height)
    raise NotAnImage("WebP header is damaged")
