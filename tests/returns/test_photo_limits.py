"""Photos are refused by their header alone, before anything is decoded, and each client may send only so many.

The decompression bomb of issue 15: a 6000 × 6000 PNG of about 100 KB, which decodes to 108 MB. It is refused
with a clear message, nothing is stored, and the memory of the process that refuses it is measured.
"""

import datetime as dt
import io
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from returns_desk.core.actors import Actor
from returns_desk.core.clock import frozen_at
from returns_desk.core.errors import ServiceError
from returns_desk.returns import photo_limits
from returns_desk.returns.image_headers import PNG_SIGNATURE, NotAnImage, read_header
from returns_desk.returns.photos import INCOMING_PREFIX, STAGED_PREFIX, Upload, check_uploads
from returns_desk.returns.services import return_cancel
from tests.portal.shop import build_shop, image_bytes
from tests.portal.test_portal import line_data, look_up, photo, post_step, submit_return
from tests.support.storage import files_under

PROJECT = Path(__file__).resolve().parents[2]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 6000, height: int = 6000) -> bytes:
    """A black RGB PNG, compressed row by row so that the test itself never holds its decoded pixels."""
    row = b"\0" * (1 + width * 3)  # filter byte, then the row's pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


# --- the header alone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mode", "options"),
    [
        ("JPEG", "RGB", {}),
        ("JPEG", "L", {"progressive": True}),
        ("JPEG", "RGB", {"exif": b"Exif\0\0" + b"\0" * 40}),
        ("PNG", "RGBA", {}),
        ("PNG", "P", {}),
        ("WEBP", "RGB", {}),  # VP8, lossy
        ("WEBP", "RGBA", {"lossless": True}),  # VP8L
        ("WEBP", "RGBA", {}),  # VP8X, with an alpha chunk
    ],
)
@pytest.mark.parametrize("size", [(1, 1), (641, 37), (37, 3001)])
def test_the_header_gives_the_size_pillow_reads(fmt, mode, options, size):
    out = io.BytesIO()
    Image.new(mode, size).save(out, format=fmt, **options)
    header = read_header(out.getvalue())
    with Image.open(io.BytesIO(out.getvalue())) as lazy:
        assert (header.format, header.width, header.height) == (fmt, *lazy.size)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<html><script>alert(1)</script></html>",
        image_bytes("GIF"),
        image_bytes("PNG")[:20],  # cut inside the IHDR chunk
        image_bytes("PNG")[:20] + b"\xff" + image_bytes("PNG")[21:],  # the IHDR's checksum no longer matches
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,  # a JPEG with no frame header
        b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20,  # a WebP whose frame lacks its start code
    ],
    ids=["empty", "html", "gif", "cut-png", "damaged-png", "frameless-jpeg", "broken-webp"],
)
def test_anything_but_a_readable_jpeg_png_or_webp_header_is_refused(content):
    with pytest.raises(NotAnImage):
        read_header(content)
    with pytest.raises(ServiceError, match="is not a JPEG, PNG or WebP photo"):
        check_uploads([Upload("x.jpg", content)])


def test_the_pixel_budget_is_a_setting_and_its_edge_is_accepted(settings):
    settings.PHOTO_MAX_PIXELS = 100 * 50
    check_uploads([Upload("edge.png", image_bytes("PNG", size=(100, 50)))])
    with pytest.raises(ServiceError, match=r"“over.png” is 101 × 50 pixels; photos of up to 0.005 megapixels"):
        check_uploads([Upload("over.png", image_bytes("PNG", size=(101, 50)))])


def test_the_bomb_is_small_and_valid_and_over_the_default_budget():
    bomb = bomb_png()
    assert len(bomb) < 120_000
    with Image.open(io.BytesIO(bomb)) as lazy:  # Pillow agrees about what it is (without decoding it)
        assert (lazy.format, lazy.size) == ("PNG", (6000, 6000))
    with pytest.raises(ServiceError, match="6000 × 6000 pixels; photos of up to 25 megapixels are accepted"):
        check_uploads([Upload("bomb.png", bomb)])


MEASURE = textwrap.dedent(
    """
    import io, sys
    import django
    django.setup()
    from PIL import Image
    from returns_desk.core.errors import ServiceError
    from returns_desk.returns.photos import Upload, stage_uploads

    def status_kb(field):
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

    data = open(sys.argv[1], "rb").read()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak (VmHWM) starts again from the memory in use now
    before = status_kb("VmRSS")
    outcome = "accepted"
    try:
        if sys.argv[2] == "decode":  # the control: what decoding it costs
            Image.open(io.BytesIO(data)).load()
        else:  # what the portal's upload does with it
            stage_uploads([Upload("bomb.png", data)])
    except ServiceError as error:
        outcome = str(error)
    print((status_kb("VmHWM") - before) // 1024)
    print(outcome)
    """
)


def peak_growth_mb(path: Path, how: str) -> tuple[int, str]:
    """Run the upload (or a plain decode) in a fresh process; its peak memory growth in MB, and the outcome.

    The peak is Linux's VmHWM, reset just before (`clear_refs`): Pillow allocates pixels outside Python's
    allocator, where tracemalloc does not see them."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "returns_desk.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), how],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    grown, outcome = done.stdout.strip().splitlines()[-2:]
    return int(grown), outcome


def test_a_decompression_bomb_is_refused_before_decoding_within_50_mb(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    grown, outcome = peak_growth_mb(path, "upload")
    assert "“bomb.png” is 6000 × 6000 pixels" in outcome
    assert grown < 50, f"refusing the bomb grew the process by {grown} MB"
    control, _ = peak_growth_mb(path, "decode")
    assert control > 50, f"decoding it grew the process by only {control} MB: the measurement sees nothing"


# --- through the portal --------------------------------------------------------------------------------------


@pytest.fixture
def shop(reference_data):
    return build_shop()


def test_the_bomb_is_refused_at_the_portal_and_nothing_is_saved(client, shop):
    before = files_under(STAGED_PREFIX), files_under(INCOMING_PREFIX)
    look_up(client)
    bomb = photo("IMG_2041.png", bomb_png(), "image/png")
    data = {**line_data(shop.shirt, 1, "damaged", "Cracked"), f"line-{shop.shirt.pk}-photos": [photo(), bomb]}
    response = post_step(client, "items", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "“IMG_2041.png” is 6000 × 6000 pixels; photos of up to 25 megapixels are accepted" in page
    assert "Cracked</textarea>" in page  # what was typed is kept
    assert (files_under(STAGED_PREFIX), files_under(INCOMING_PREFIX)) == before
    assert client.session["portal_return_draft"]["lines"].get(str(shop.shirt.pk), {}).get("photos", []) == []


def test_each_client_may_send_only_so_many_photos_per_window(client, shop, settings):
    settings.PHOTO_UPLOAD_LIMIT_PER_CLIENT = 3
    rr = submit_return(client, shop)
    item = rr.items.get()
    url = f"/returns/status/{rr.customer_token}/photos/"

    def send(who, *names):
        return who.post(url, {"item": item.pk, "photos": [photo(name) for name in names]})

    assert send(client, "a.jpg", "b.jpg").status_code == 302
    refused = send(client, "c.jpg", "d.jpg")
    assert refused.status_code == 400
    assert "You have sent as many photos as we take from one connection for now" in refused.content.decode()
    assert "Please try again in" in refused.content.decode()
    assert item.photos.count() == 2
    assert send(client, "c.jpg").status_code == 302  # the refused batch did not use up the allowance
    assert send(client, "d.jpg").status_code == 400
    assert send(Client(REMOTE_ADDR="203.0.113.9"), "e.jpg").status_code == 302  # another client has its own
    with frozen_at(timezone.now() + dt.timedelta(seconds=settings.PHOTO_UPLOAD_WINDOW_SECONDS)):
        assert send(client, "f.jpg").status_code == 302  # a new window
    assert item.photos.count() == 5


def test_a_batch_refused_for_another_reason_gives_its_count_back(client, shop, settings):
    settings.PHOTO_UPLOAD_LIMIT_PER_CLIENT = 3
    rr = submit_return(client, shop)
    return_cancel(return_request=rr, by=Actor.customer(), reason="Kept it")
    url = f"/returns/status/{rr.customer_token}/photos/"
    refused = client.post(url, {"item": rr.items.get().pk, "photos": [photo("a.jpg"), photo("b.jpg")]})
    assert refused.status_code == 400 and "photos can no longer be added" in refused.content.decode()
    photo_limits.take(client="127.0.0.1", count=3)  # the whole allowance is still there


def test_photos_of_a_new_return_count_against_the_same_allowance(client, shop, settings):
    settings.PHOTO_UPLOAD_LIMIT_PER_CLIENT = 2
    look_up(client)
    photos = [photo("a.jpg"), photo("b.jpg"), photo("c.jpg")]
    response = post_step(
        client, "items", {**line_data(shop.shirt, 1, "damaged"), f"line-{shop.shirt.pk}-photos": photos}
    )
    assert response.status_code == 400
    assert "You have sent as many photos as we take from one connection for now" in response.content.decode()
    assert client.session["portal_return_draft"]["lines"][str(shop.shirt.pk)]["photos"] == []
