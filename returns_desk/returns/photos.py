"""Customer photos: checked by what the bytes are, not by their name, then re-encoded.

Re-encoding drops everything but the pixels (EXIF with its GPS position, embedded scripts or polyglot
payloads), so what we store and later show the desk is an image we wrote ourselves.
"""

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MAX_PIXELS = 40_000_000  # a 5 MB file can still decode to gigabytes; refuse before decoding
MAX_SIDE = 2400  # plenty to judge damage; keeps storage and the ticket page light
STAGED_PREFIX = "return-photos/staged/"


@dataclass(frozen=True)
class Upload:
    """What a form gives us: the name the customer's device used, and the bytes."""

    name: str
    content: bytes


def check_uploads(uploads: Sequence[Upload], *, already: int = 0) -> None:
    """Refuse the whole batch if any file is wrong, so nothing of a bad upload is kept."""
    if already + len(uploads) > MAX_PHOTOS:
        room = max(MAX_PHOTOS - already, 0)
        raise ServiceError(f"You can add at most {MAX_PHOTOS} photos per item ({room} more here).")
    for upload in uploads:
        if len(upload.content) > MAX_PHOTO_BYTES:
            raise ServiceError(f"“{upload.name}” is larger than 5 MB. Please send a smaller photo.")
        _format_of(upload)


def _format_of(upload: Upload) -> str:
    try:
        with Image.open(io.BytesIO(upload.content)) as probe:
            fmt = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ServiceError(f"“{upload.name}” is not a JPEG, PNG or WebP photo.") from error
    if fmt not in ACCEPTED_FORMATS:
        raise ServiceError(f"“{upload.name}” is not a JPEG, PNG or WebP photo.")
    if width * height > MAX_PIXELS:
        raise ServiceError(f"“{upload.name}” has too many pixels; please send a smaller photo.")
    return fmt


def reencode(upload: Upload) -> bytes:
    """A fresh JPEG of the photo's pixels, turned upright, no larger than MAX_SIDE, with no metadata.

    Call after `check_uploads` (as `stage_uploads` does): the format and pixel count are checked there.
    """
    try:
        with Image.open(io.BytesIO(upload.content)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright.mode in ("RGBA", "LA", "P"):
                rgba = upright.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                upright = flat
            elif upright.mode != "RGB":
                upright = upright.convert("RGB")
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=85, optimize=True)  # no exif= : metadata is dropped
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ServiceError(f"“{upload.name}” could not be read as a photo.") from error
    return out.getvalue()


def stage_uploads(uploads: Sequence[Upload], *, already: int = 0) -> list[str]:
    """Check and re-encode a batch, then store it; returns storage names. All or nothing."""
    check_uploads(uploads, already=already)
    encoded = [reencode(upload) for upload in uploads]
    month = clock.now().strftime("%Y/%m")
    names = []
    for data in encoded:
        name = f"{STAGED_PREFIX}{month}/{secrets.token_urlsafe(16)}.jpg"
        names.append(default_storage.save(name, ContentFile(data)))
    return names


def is_staged_name(name: str) -> bool:
    """Only names we produced ourselves may be attached to a return (a session is client-bound, not trusted)."""
    return name.startswith(STAGED_PREFIX) and ".." not in name and name.endswith(".jpg")
