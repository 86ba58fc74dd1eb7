"""Giving a person a stored file (a photo, a document) once the caller has decided they may have it.

One answer for every file we serve, wherever files are kept. On a bucket (django-storages' S3 backend, which signs
its links) the answer is a 302 to a link that works for `MEDIA_SIGNED_URL_SECONDS` and tells the bucket which type,
disposition and caching to answer with; the bucket itself stays private, so nothing in it is reachable without
such a link. On local disk (the embedded default) the file is streamed from here, as it always was.
"""

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header


def signs_links(storage: Storage) -> bool:
    """Does this storage hand out short-lived signed links (S3 with querystring auth) rather than bytes?"""
    return bool(getattr(storage, "querystring_auth", False))


def stored_file_response(
    file: FieldFile,
    *,
    content_type: str,
    filename: str = "",
    as_attachment: bool = False,
    cache_control: str = "private, no-store",
) -> HttpResponseBase:
    """The stored file for someone already allowed to have it: a redirect to a signed link, or its bytes."""
    storage = file.storage
    if signs_links(storage):
        parameters = {"ResponseContentType": content_type, "ResponseCacheControl": cache_control}
        disposition = content_disposition_header(as_attachment, filename) if filename else None
        if disposition:
            parameters["ResponseContentDisposition"] = disposition
        link = storage.url(file.name, parameters=parameters, expire=settings.MEDIA_SIGNED_URL_SECONDS)  # type: ignore[call-arg]
        redirect = HttpResponseRedirect(link)
        redirect["Cache-Control"] = "private, no-store"  # the link dies in minutes: never keep the redirect to it
        return redirect
    response = FileResponse(file.open("rb"), content_type=content_type, as_attachment=as_attachment, filename=filename)
    response["Cache-Control"] = cache_control
    return response
