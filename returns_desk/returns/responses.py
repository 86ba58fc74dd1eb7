"""Serving a return's photos. Callers decide who may see the return (its link, or desk staff); this serves one."""

from django.http import FileResponse

from .models import ReturnPhoto


def photo_response(picture: ReturnPhoto) -> FileResponse:
    """The photo as the JPEG we encoded ourselves, never as something a browser would run or guess the type of."""
    response = FileResponse(picture.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
