"""Serving a return's photos. Callers decide who may see the return (its link, or desk staff); this serves one."""

from django.http import HttpResponse
from django.http.response import HttpResponseBase

from returns_desk.core.storage import stored_file_response

from .models import ReturnPhoto
from .photo_processing import placeholder_jpeg
from .photos import PhotoState, photo_state


def photo_response(picture: ReturnPhoto) -> HttpResponseBase:
    """The photo as the JPEG we encoded ourselves, never as something a browser would run or guess the type of.

    Until the worker has re-encoded it (or when it could not), a picture saying so stands in, never kept by the
    browser: the next visit shows the photo itself."""
    state = photo_state(picture.image.name or "")
    response: HttpResponseBase
    if state is PhotoState.READY:
        # On a bucket: a redirect to a short-lived signed link; on local disk: the bytes (core.storage).
        response = stored_file_response(picture.image, content_type="image/jpeg", cache_control="private, max-age=3600")
    else:
        response = HttpResponse(placeholder_jpeg(state), content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
