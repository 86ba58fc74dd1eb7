"""Files on an S3-compatible bucket (moto's server on this machine): photos and documents are stored there, served
to the people allowed to see them by a redirect to a short-lived signed link, refused to everyone else, and deleted
from the bucket when a customer is erased. Without a bucket configured, local disk serves them as before."""

import io
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.files.storage import default_storage
from PIL import Image
from pypdf import PdfReader

from returns_desk.core.actors import Actor
from returns_desk.core.storage import signs_links
from returns_desk.desk.customer_data.erase import customer_data_erase
from returns_desk.settings import base as base_settings
from returns_desk.settings.files import s3_default_storage
from tests.conftest import require
from tests.factories import return_in_state
from tests.portal.shop import EMAIL, build_shop
from tests.portal.test_portal import line_data, photo, submit_return

pytestmark = pytest.mark.django_db

KEYS = {"access_key": "moto-access", "secret_key": "moto-secret", "region": "eu-west-2"}
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        NO_PROXY.open(f"{url}/moto-api/", timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3-compatible server, in its own process on a free port, for the whole run."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as error:
        require(False, f"moto's server could not start: {error}")
    deadline = time.monotonic() + 30
    while not _answers(url) and time.monotonic() < deadline and server.poll() is None:
        time.sleep(0.2)
    if not _answers(url):
        server.kill()
        require(False, "moto's server did not answer (pip install 'moto[server]')")
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh private bucket, and the default storage pointed at it as AWS_STORAGE_BUCKET_NAME would."""
    name = f"returns-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
        region_name=KEYS["region"],
    )
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": KEYS["region"]})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_default_storage(bucket=name, endpoint_url=s3_endpoint, **KEYS).storage,
    }
    settings.MEDIA_SIGNED_URL_SECONDS = 300
    client.bucket_name = name
    return client


def keys_in(bucket) -> list[str]:
    return [item["Key"] for item in bucket.list_objects_v2(Bucket=bucket.bucket_name).get("Contents", [])]


def fetch(url: str):
    """What a browser gets from the bucket at this address (status, headers, bytes), with no proxy between."""
    try:
        with NO_PROXY.open(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


def signed_link(response, bucket) -> str:
    assert response.status_code == 302, response
    link = response["Location"]
    assert link.startswith(f"{bucket.meta.endpoint_url}/{bucket.bucket_name}/")
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    assert response["Cache-Control"] == "private, no-store"
    return link


def test_a_portal_photo_lands_in_the_bucket_and_the_desk_reads_it_by_a_signed_link(
    client, agent, outsider, bucket, django_capture_on_commit_callbacks
):
    shop = build_shop()
    assert signs_links(default_storage)
    with django_capture_on_commit_callbacks(execute=True):  # the worker re-encodes the photo into the bucket
        rr = submit_return(
            client,
            shop,
            items={**line_data(shop.shirt, 1, "damaged", "Torn"), f"line-{shop.shirt.pk}-photos": [photo()]},
        )
    picture = rr.items.get().photos.get()
    assert picture.image.name in keys_in(bucket)
    grants = bucket.get_object_acl(Bucket=bucket.bucket_name, Key=picture.image.name)["Grants"]
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers / AuthenticatedUsers: private
    stored = bucket.get_object(Bucket=bucket.bucket_name, Key=picture.image.name)["Body"].read()

    desk_url = f"/desk/photos/{picture.pk}.jpg"
    client.force_login(outsider)
    assert client.get(desk_url).status_code == 403
    client.force_login(agent)
    status, headers, body = fetch(signed_link(client.get(desk_url), bucket))
    assert status == 200 and body == stored
    assert headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(body)).format == "JPEG"

    client.logout()
    portal_url = f"/returns/status/{rr.customer_token}/photos/{picture.pk}.jpg"
    assert fetch(signed_link(client.get(portal_url), bucket))[2] == stored
    assert client.get(f"/returns/status/{rr.customer_token}x/photos/{picture.pk}.jpg").status_code == 404


def test_a_document_is_rendered_into_the_bucket_and_fetched_by_a_signed_link(client, agent, reference_data, bucket):
    rr = return_in_state("approved", unit_price=2500)
    link = signed_link(client.get(f"/returns/status/{rr.customer_token}/documents/label.pdf"), bucket)
    assert any(key.startswith("documents/") for key in keys_in(bucket))
    status, headers, body = fetch(link)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("inline; filename=")
    assert rr.rma_number in PdfReader(io.BytesIO(body)).pages[0].extract_text()

    client.force_login(agent)
    slip = signed_link(client.get(f"/desk/returns/{rr.pk}/documents/packing_slip.pdf"), bucket)
    assert fetch(slip)[2].startswith(b"%PDF")


def test_the_bucket_refuses_a_link_without_its_signature_and_links_last_the_set_time(
    client, reference_data, bucket, settings
):
    rr = return_in_state("approved", unit_price=2500)
    link = signed_link(client.get(f"/returns/status/{rr.customer_token}/documents/label.pdf"), bucket)
    status, _headers, body = fetch(link.split("?", 1)[0])
    assert status == 403 and not body.startswith(b"%PDF")  # the bucket is private: no link, no file

    settings.MEDIA_SIGNED_URL_SECONDS = 60
    short = client.get(f"/returns/status/{rr.customer_token}/documents/label.pdf")["Location"]
    assert parse_qs(urlsplit(short).query)["X-Amz-Expires"] == ["60"]


def test_erasing_a_customer_deletes_their_photo_from_the_bucket(
    client, manager, bucket, django_capture_on_commit_callbacks
):
    shop = build_shop()
    with django_capture_on_commit_callbacks(execute=True):
        rr = submit_return(
            client,
            shop,
            items={**line_data(shop.shirt, 1, "damaged", "Torn"), f"line-{shop.shirt.pk}-photos": [photo()]},
        )
    name = rr.items.get().photos.get().image.name
    assert name in keys_in(bucket)
    assert client.post(f"/returns/status/{rr.customer_token}/cancel/", {"reason": "Changed my mind"}).status_code == 302
    rr.refresh_from_db()
    assert rr.status == "cancelled", rr.status
    with django_capture_on_commit_callbacks(execute=True):
        customer_data_erase(email=EMAIL, by=Actor.staff(manager), reason="asked by email")
    assert name not in keys_in(bucket)
    with pytest.raises(ClientError):
        bucket.head_object(Bucket=bucket.bucket_name, Key=name)


def test_settings_name_the_bucket_and_its_origin_for_any_s3_compatible_server():
    minio = s3_default_storage(bucket="shop-files", endpoint_url="https://minio.internal:9000/", **KEYS)
    options = minio.storage["OPTIONS"]
    assert minio.storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["addressing_style"] == "path" and options["default_acl"] is None
    assert options["querystring_auth"] is True and options["file_overwrite"] is False
    assert minio.origins == ["https://minio.internal:9000"]
    aws = s3_default_storage(bucket="shop-files", region="eu-west-2")
    assert aws.storage["OPTIONS"]["addressing_style"] == "virtual"
    assert "https://shop-files.s3.eu-west-2.amazonaws.com" in aws.origins


def test_without_a_bucket_files_are_streamed_from_local_disk(client, reference_data, settings, tmp_path):
    if not base_settings.AWS_STORAGE_BUCKET_NAME:  # the embedded default: nothing changes
        assert base_settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
        assert base_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == ["'self'", "data:"]
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path
    rr = return_in_state("approved", unit_price=2500)
    assert not signs_links(default_storage)
    response = client.get(f"/returns/status/{rr.customer_token}/documents/label.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Cache-Control"].startswith("private") and "no-store" in response["Cache-Control"]
