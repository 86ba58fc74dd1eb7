"""The worker's half of customer photos: decode a raw upload within the pixel budget and re-encode it.

Runs in `returns.tasks.process_photos` (and its sweep), never in a web request: decoding even a photo within
the budget takes a second and a hundred megabytes. Each step is safe to repeat: a photo already re-encoded is
left alone, and the raw upload is deleted only once its re-encoded copy is stored (or it proved unreadable).
"""

import contextlib
import functools
import io
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFile, ImageFont, ImageOps

from returns_desk.core.errors import ServiceError

from .photos import (
    ACCEPTED_FORMATS,
    MAX_PHOTO_BYTES,
    PhotoState,
    Upload,
    header_of,
    incoming_name,
    is_staged_name,
)

log = logging.getLogger(__name__)

MAX_SIDE = 2400  # plenty to judge damage; keeps storage and the ticket page light
SIMPLE_MODES = ("RGB", "RGBA", "L", "LA", "P")


@contextlib.contextmanager
def _whole_images_only():
    """WeasyPrint (imported by the same worker for documents) tells Pillow to decode truncated images, which
    would turn a broken upload into a half-grey photo; a customer's photo must decode whole or be unreadable."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def reencode(upload: Upload) -> bytes:
    """A fresh JPEG of the photo's pixels, turned upright, no larger than MAX_SIDE, with no metadata.

    The pixel budget is checked twice before anything is decoded: on our own reading of the header, then on
    Pillow's (its lazy `open` reads the header only; `load`, inside `thumbnail`, decodes). A file whose two
    readings differ is refused. Pillow's own `MAX_IMAGE_PIXELS` stays as a last, higher ceiling.
    """
    if len(upload.content) > MAX_PHOTO_BYTES:
        raise ServiceError(f"“{upload.name}” is larger than 5 MB.")
    header = header_of(upload)
    try:
        with _whole_images_only(), Image.open(io.BytesIO(upload.content), formats=ACCEPTED_FORMATS) as image:
            if image.size != (header.width, header.height):
                raise ServiceError(f"“{upload.name}” does not have the size its header declares.")
            out = io.BytesIO()
            _upright_rgb(image).save(out, format="JPEG", quality=85, optimize=True)  # no exif= : metadata dropped
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ServiceError(f"“{upload.name}” could not be read as a photo.") from error
    return out.getvalue()


def _upright_rgb(image: Image.Image) -> Image.Image:
    """Shrink first (a JPEG decodes straight at a fraction of its size), then turn upright and flatten."""
    if image.mode not in SIMPLE_MODES:  # CMYK, 16-bit greyscale …: to a mode every resampling filter knows
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))  # the square box holds either orientation
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "P"):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return upright if upright.mode == "RGB" else upright.convert("RGB")


def process_staged(name: str) -> str:
    """Re-encode the raw upload waiting for staged photo `name`; say what happened (for the task's result)."""
    if not is_staged_name(name):
        return "not a staged photo"
    raw_name = incoming_name(name)
    try:
        with default_storage.open(raw_name, "rb") as raw:
            content = raw.read(MAX_PHOTO_BYTES + 1)
    except FileNotFoundError:
        return "nothing waiting"  # done already, or purged
    if default_storage.exists(name):  # an earlier run stored it and stopped before deleting the raw upload
        default_storage.delete(raw_name)
        return "already done"
    try:
        encoded = reencode(Upload(name=name, content=content))
    except ServiceError as error:
        log.warning("Customer photo %s could not be re-encoded: %s", name, error)
        default_storage.delete(raw_name)
        return "unreadable"
    saved = default_storage.save(name, ContentFile(encoded))
    if saved != name:  # a parallel run stored it first: keep that one
        default_storage.delete(saved)
    default_storage.delete(raw_name)
    return "re-encoded"


PLACEHOLDER_WORDS = {
    PhotoState.PROCESSING: "Preparing\nphoto…",
    PhotoState.UNREADABLE: "Photo could\nnot be read",
}


@functools.cache
def placeholder_jpeg(state: PhotoState) -> bytes:
    """A plain picture that says why the photo is not shown yet (it stands in at the photo's own address)."""
    image = Image.new("RGB", (240, 240), (236, 236, 236))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)  # legible in a 96-pixel thumbnail
    words = PLACEHOLDER_WORDS.get(state, "")
    draw.multiline_text((120, 120), words, fill=(70, 70, 70), font=font, anchor="mm", align="center", spacing=10)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
