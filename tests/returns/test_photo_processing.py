"""Photos are decoded and re-encoded by the worker, never in the web request; until then, and when a photo cannot
be read, its address shows a picture saying so, to the customer and the desk alike."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageFile

from returns_desk.core.clock import frozen_at
from returns_desk.returns.photo_processing import MAX_SIDE, placeholder_jpeg
from returns_desk.returns.photos import (
    INCOMING_PREFIX,
    PhotoState,
    Upload,
    incoming_name,
    photo_state,
    stage_uploads,
    staged_name,
)
from returns_desk.returns.tasks import process_pending_photos, process_photos
from tests.portal.shop import build_shop, image_bytes
from tests.portal.test_portal import photo, submit_return
from tests.support.storage import files_under

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(reference_data):
    return build_shop()


def oriented_jpeg(size=(60, 40), orientation=6) -> bytes:
    """A photo as a phone stores it: sideways pixels, an EXIF orientation to turn them, and where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SpyCam"
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as f:
        return f.read()


def no_decoding(monkeypatch):
    """Any decode in this process from now on fails the test."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("an image was decoded in the web request")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_staging_keeps_the_raw_upload_for_the_worker_and_decodes_nothing(
    monkeypatch, django_capture_on_commit_callbacks
):
    raw = oriented_jpeg()
    no_decoding(monkeypatch)
    with django_capture_on_commit_callbacks() as queued:
        [name] = stage_uploads([Upload("IMG_0001.JPG", raw)])
    assert read(incoming_name(name)) == raw and not default_storage.exists(name)
    assert photo_state(name) is PhotoState.PROCESSING
    assert len(queued) == 1  # the worker's task, sent once the request's transaction commits
    monkeypatch.undo()
    queued[0]()  # the worker runs it (django-q2 runs tasks inline in tests)
    assert photo_state(name) is PhotoState.READY and not default_storage.exists(incoming_name(name))


def test_the_worker_turns_the_photo_upright_and_drops_its_metadata():
    [name] = stage_uploads([Upload("IMG_0001.JPG", oriented_jpeg())])
    assert process_photos([name]) == f"{name}: re-encoded"
    content = read(name)
    image = Image.open(io.BytesIO(content))
    assert (image.format, image.size) == ("JPEG", (40, 60))  # turned as the EXIF orientation said
    assert b"SpyCam" not in content and not image.getexif()
    assert process_photos([name]) == f"{name}: nothing waiting"  # a repeat changes nothing
    assert read(name) == content


def test_a_large_transparent_png_is_shrunk_and_flattened():
    [name] = stage_uploads([Upload("scan.png", image_bytes("PNG", size=(5000, 100)))])
    process_photos([name])
    image = Image.open(io.BytesIO(read(name)))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (MAX_SIDE, 48))


def test_the_portal_request_decodes_nothing_and_shows_a_placeholder_until_the_worker_is_done(
    client, shop, monkeypatch, django_capture_on_commit_callbacks
):
    rr = submit_return(client, shop)
    item = rr.items.get()
    url = f"/returns/status/{rr.customer_token}/"
    no_decoding(monkeypatch)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(url + "photos/", {"item": item.pk, "photos": [photo("a.jpg", oriented_jpeg())]})
    assert response.status_code == 302
    monkeypatch.undo()
    picture = item.photos.get()
    waiting = client.get(f"{url}photos/{picture.pk}.jpg")
    assert waiting["Content-Type"] == "image/jpeg" and "no-store" in waiting["Cache-Control"]
    assert waiting.content == placeholder_jpeg(PhotoState.PROCESSING)
    for callback in queued:
        callback()
    ready = client.get(f"{url}photos/{picture.pk}.jpg")
    assert ready["Cache-Control"] == "private, max-age=3600"
    assert b"".join(ready.streaming_content) == read(picture.image.name)


def test_the_desk_sees_the_placeholder_then_the_photo(client, shop, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        rr = submit_return(
            client,
            shop,
            items={
                f"line-{shop.shirt.pk}-quantity": 1,
                f"line-{shop.shirt.pk}-reason": "damaged",
                f"line-{shop.shirt.pk}-description": "",
                f"line-{shop.shirt.pk}-photos": [photo("a.jpg")],
            },
        )
    picture = rr.items.get().photos.get()
    client.force_login(agent)
    assert client.get(f"/desk/photos/{picture.pk}.jpg").content == placeholder_jpeg(PhotoState.PROCESSING)
    for callback in queued:
        callback()
    shown = client.get(f"/desk/photos/{picture.pk}.jpg")
    assert Image.open(io.BytesIO(b"".join(shown.streaming_content))).format == "JPEG"


def test_a_photo_the_worker_cannot_decode_is_shown_as_unreadable(client, shop):
    good = image_bytes("PNG", size=(64, 48))
    broken = good[:41] + b"\x00" * (len(good) - 41)  # a sound header, then pixel data that is not
    [name] = stage_uploads([Upload("broken.png", broken)])
    assert process_photos([name]) == f"{name}: unreadable"
    assert not default_storage.exists(incoming_name(name)) and not default_storage.exists(name)
    assert photo_state(name) is PhotoState.UNREADABLE


def test_the_sweep_re_encodes_uploads_whose_task_was_lost(settings):
    process_photos([staged_name(left) for left in files_under(INCOMING_PREFIX)])  # the storage outlives a test
    [name] = stage_uploads([Upload("a.jpg", image_bytes())])  # its task is never run
    assert process_pending_photos() == "Processed 0 waiting photo(s)."  # too soon: its task may still come
    later = timezone.now() + dt.timedelta(minutes=settings.PHOTO_PROCESS_SWEEP_AFTER_MINUTES + 1)
    with frozen_at(later):
        assert process_pending_photos() == "Processed 1 waiting photo(s)."
    assert photo_state(name) is PhotoState.READY


def test_a_broken_photo_stays_unreadable_after_weasyprint_is_imported(monkeypatch):
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES on import (the worker renders documents too)."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    good = image_bytes("PNG", size=(64, 48))
    [name] = stage_uploads([Upload("broken.png", good[:41] + b"\x00" * (len(good) - 41))])
    assert process_photos([name]) == f"{name}: unreadable"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # put back as it was
