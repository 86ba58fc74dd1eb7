"""Serving a return's documents. Callers decide who may see the return; this serves its PDF."""

from django.http import Http404
from django.http.response import HttpResponseBase

from returns_desk.core.errors import ServiceError
from returns_desk.core.storage import stored_file_response
from returns_desk.returns.models import ReturnRequest

from .models import Document
from .rendering import file_name
from .services import document_current


def document_response(rr: ReturnRequest, kind: str) -> HttpResponseBase:
    if kind not in Document.Kind.values:
        raise Http404("No such document.")
    try:
        doc = document_current(return_id=rr.pk, kind=kind)
    except ServiceError as error:
        raise Http404(str(error)) from error
    # On a bucket: a redirect to a short-lived signed link; on local disk: the bytes (core.storage).
    response = stored_file_response(doc.file, content_type="application/pdf", filename=file_name(rr, kind))
    response["X-Content-Type-Options"] = "nosniff"
    return response
