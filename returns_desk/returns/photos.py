"""Customer photos: checked by what the bytes are, not by their name, then re-encoded by the worker.

The web request reads only each file's header (`image_headers`): its type, and a pixel count within
`PHOTO_MAX_PIXELS`, so a small file that would decode to hundreds of megabytes is refused before anything is
decoded. Accepted files are kept as they came under `INCOMING_PREFIX`, and `returns.tasks.process_photos`
decodes and re-encodes each in the worker into the name the return refers to (under `STAGED_PREFIX`).

Re-encoding drops everything but the pixels (EXIF with its GPS position, embedded scripts or polyglot
payloads), so what we serve the customer and the desk is an image we wrote ourselves; until it exists, the
photo's address serves a "being prepared" picture (`photo_processing.placeholder_jpeg`), never the raw upload.
"""

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError
from returns_desk.core.tasks import enqueue_on_commit

from .image_headers import Header, NotAnImage, read_header

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
STAGED_PREFIX = "return-photos/staged/"
INCOMING_PREFIX = "return-photos/incoming/"
INCOMING_SUFFIX = ".upload"
PROCESS_TASK = "returns_desk.returns.tasks.process_photos"


class PhotoState(enum.Enum):
    READY = "ready"  # re-encoded: served as it is
    PROCESSING = "processing"  # the raw upload waits for the worker
    UNREADABLE = "unreadable"  # the worker could not decode it (or the file is gone)


@dataclass(frozen=True)
class Upload:
    """What a form gives us: the name the customer's device used, and the bytes."""

    name: str
    content: bytes


def max_pixels() -> int:
    return settings.PHOTO_MAX_PIXELS


def check_uploads(uploads: Sequence[Upload], *, already: int = 0) -> None:
    """Refuse the whole batch if any file is wrong, so nothing of a bad upload is kept. Reads headers only."""
    if already + len(uploads) > MAX_PHOTOS:
        room = max(MAX_PHOTOS - already, 0)
        raise ServiceError(f"You can add at most {MAX_PHOTOS} photos per item ({room} more here).")
    for upload in uploads:
        if len(upload.content) > MAX_PHOTO_BYTES:
            raise ServiceError(f"“{upload.name}” is larger than 5 MB. Please send a smaller photo.")
        header_of(upload)


def header_of(upload: Upload) -> Header:
    """The photo's declared type and size, within the pixel budget; `ServiceError` with the reason otherwise."""
    try:
        header = read_header(upload.content)
    except NotAnImage as error:
        raise ServiceError(f"“{upload.name}” is not a JPEG, PNG or WebP photo.") from error
    budget = max_pixels()
    if header.pixels > budget:
        raise ServiceError(
            f"“{upload.name}” is {header.width} × {header.height} pixels; photos of up to "
            f"{budget / 1_000_000:g} megapixels are accepted. Please send a smaller photo (a phone's "
            "“large” or “medium” size, or a screenshot of it)."
        )
    return header


def stage_uploads(uploads: Sequence[Upload], *, already: int = 0) -> list[str]:
    """Check a batch by its headers, keep the raw files for the worker, and return the names the photos will
    have once re-encoded (what a return's `ReturnPhoto.image` holds). All or nothing."""
    check_uploads(uploads, already=already)
    month = clock.now().strftime("%Y/%m")
    names: list[str] = []
    try:
        for upload in uploads:
            name = f"{STAGED_PREFIX}{month}/{secrets.token_urlsafe(16)}.jpg"
            names.append(name)
            saved = default_storage.save(incoming_name(name), ContentFile(upload.content))
            if saved != incoming_name(name):  # storage picked another name: never expected for a random one
                default_storage.delete(saved)
                raise ServiceError("Your photos could not be saved; please try again.")
    except Exception:
        for name in names:  # deleting a name that was never written is a no-op
            default_storage.delete(incoming_name(name))
        raise
    enqueue_on_commit(PROCESS_TASK, names)
    return names


def is_staged_name(name: str) -> bool:
    """Only names we produced ourselves may be attached to a return (a session is client-bound, not trusted)."""
    return name.startswith(STAGED_PREFIX) and ".." not in name and name.endswith(".jpg")


def incoming_name(name: str) -> str:
    """Where the raw upload of staged photo `name` waits for the worker."""
    return f"{INCOMING_PREFIX}{name.removeprefix(STAGED_PREFIX).removesuffix('.jpg')}{INCOMING_SUFFIX}"


def staged_name(incoming: str) -> str:
    """The staged photo a raw upload becomes (the inverse of `incoming_name`)."""
    return f"{STAGED_PREFIX}{incoming.removeprefix(INCOMING_PREFIX).removesuffix(INCOMING_SUFFIX)}.jpg"


def photo_state(name: str) -> PhotoState:
    """Whether the photo can be shown: re-encoded, still waiting for the worker, or never to be."""
    if default_storage.exists(name):
        return PhotoState.READY
    if is_staged_name(name) and default_storage.exists(incoming_name(name)):
        return PhotoState.PROCESSING
    return PhotoState.UNREADABLE
