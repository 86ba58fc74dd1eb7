"""Files on S3 (issue 16): photos, documents and email attachments in an S3-compatible bucket.

Set AWS_STORAGE_BUCKET_NAME and every web server and worker keeps those files in that bucket (django-storages);
unset, they stay under MEDIA_ROOT on this machine (the embedded default). Static files stay on WhiteNoise either way.
The bucket stays private (no ACL is ever sent): a person who may see a file gets a 302 to a link signed for
MEDIA_SIGNED_URL_SECONDS (core.storage). Other variables: AWS_S3_ENDPOINT_URL (MinIO, R2, Spaces, moto…),
AWS_S3_REGION_NAME, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or boto3's own chain: instance role, ~/.aws),
AWS_S3_ADDRESSING_STYLE (path or virtual) and AWS_LOCATION (a folder inside the bucket).
"""

from dataclasses import dataclass

import environ

env = environ.Env()

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
MEDIA_SIGNED_URL_SECONDS = env.int("MEDIA_SIGNED_URL_SECONDS", default=300)


@dataclass(frozen=True)
class Bucket:
    storage: dict  # STORAGES["default"]
    origins: list[str]  # where its signed links point: pages must let images load from there (CSP img-src)


def s3_default_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    access_key: str = "",
    secret_key: str = "",
    addressing_style: str = "",
    location: str = "",
) -> Bucket:
    """The default storage on a bucket, and the origins of its signed links.

    Another S3-compatible server is named by its endpoint and addressed by path unless told otherwise; AWS itself
    by virtual host. Names are never overwritten, as on local disk."""
    style = addressing_style or ("path" if endpoint_url else "virtual")
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "region_name": region or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "addressing_style": style,
        "signature_version": "s3v4",
        "location": location,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": MEDIA_SIGNED_URL_SECONDS,
        "file_overwrite": False,
    }
    if endpoint_url:
        scheme, _, rest = endpoint_url.partition("://")
        host = rest.split("/", 1)[0]
        origins = [f"{scheme}://{bucket}.{host}" if style == "virtual" else f"{scheme}://{host}"]
    else:
        origins = [f"https://{bucket}.s3.{region or 'us-east-1'}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]
    return Bucket(storage={"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, origins=origins)


def bucket_from_env() -> Bucket | None:
    """The bucket the environment names, or None: files stay on local disk."""
    if not AWS_STORAGE_BUCKET_NAME:
        return None
    return s3_default_storage(
        bucket=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=env("AWS_S3_ENDPOINT_URL", default=""),
        region=env("AWS_S3_REGION_NAME", default=""),
        access_key=env("AWS_ACCESS_KEY_ID", default=""),
        secret_key=env("AWS_SECRET_ACCESS_KEY", default=""),
        addressing_style=env("AWS_S3_ADDRESSING_STYLE", default=""),
        location=env("AWS_LOCATION", default=""),
    )
