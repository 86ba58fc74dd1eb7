"""Serving a return's documents. Callers decide who may see the return; this serves its PDF."""

from django.http import FileResponse, Http404

from returns_desk.core.errors import ServiceError
from returns_desk.returns.models import ReturnRequest

from .models import Document
from .rendering import file_name
from .services import document_current


def document_response(rr: ReturnRequest, kind: str) -> FileResponse:
    if kind not in Document.Kind.values:
        raise Http404("No such document.")
    try:
        doc = document_current(return_id=rr.pk, kind=kind)
    except ServiceError as error:
        raise Http404(str(error)) from error
    response = FileResponse(
        doc.file.open("rb"), content_type="application/pdf", as_attachment=False, filename=file_name(rr, kind)
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
