"""Documents are rendered outside transactions, stored through Django's storage API, and rendered
again only when the data printed on them changes."""

from django.core.files.base import ContentFile
from django.db import transaction

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError
from returns_desk.core.tasks import enqueue_on_commit
from returns_desk.returns.events import ReturnTransitioned
from returns_desk.returns.models import APPROVED_AND_AFTER, ReturnRequest, ReturnStatus

from . import rendering
from .models import Document

S = ReturnStatus
# Which documents a return has in each state: labels once approved; once resolved, the one settlement
# document that says how the money went out (see `rendering.settlement_kind`).
AVAILABLE = {
    Document.Kind.LABEL: APPROVED_AND_AFTER,
    Document.Kind.PACKING_SLIP: APPROVED_AND_AFTER,
}
SETTLED = {S.RESOLVED, S.CLOSED}


def available_kinds(rr: ReturnRequest) -> list[str]:
    kinds = [kind for kind, states in AVAILABLE.items() if rr.status in states]
    if rr.returnless:
        kinds = [k for k in kinds if k not in (Document.Kind.LABEL, Document.Kind.PACKING_SLIP)]
    if rr.status in SETTLED:
        kinds.append(rendering.settlement_kind(rr))
    return kinds


def _return_for_documents(return_id: int) -> ReturnRequest:
    return (
        ReturnRequest.objects.select_related("order", "exchange_order")
        .prefetch_related("items__order_line", "items__reason", "refunds", "store_credits", "exchange_order__lines")
        .get(pk=return_id)
    )


def document_current(*, return_id: int, kind: str) -> Document:
    """The document as it should be now: the stored one if its data is unchanged, else a fresh render."""
    rr = _return_for_documents(return_id)
    if kind not in available_kinds(rr):
        raise ServiceError(
            f"The {Document.Kind(kind).label.lower()} is not available while the return is "
            f"{rr.get_status_display().lower()}."
        )
    wanted = rendering.fingerprint(rendering.document_data(rr, kind))
    existing = Document.objects.filter(return_request=rr, kind=kind).first()
    if existing and existing.fingerprint == wanted and existing.file.storage.exists(existing.file.name):
        return existing
    rendered = rendering.render(rr, kind)  # outside any transaction: rendering is slow
    with transaction.atomic():
        document, _ = Document.objects.select_for_update().get_or_create(
            return_request=rr, kind=kind, defaults={"fingerprint": ""}
        )
        if document.fingerprint == rendered.fingerprint and document.file:
            return document  # another worker rendered the same data meanwhile
        old_name = document.file.name if document.file else ""
        document.file.save(rendering.file_name(rr, kind), ContentFile(rendered.content), save=False)
        document.fingerprint = rendered.fingerprint
        document.rendered_at = clock.now()
        document.save()
        if old_name and old_name != document.file.name:
            transaction.on_commit(lambda: document.file.storage.delete(old_name))
    return document


def render_documents_after_transition(transitioned: ReturnTransitioned) -> None:
    """Prepare the documents a state makes available, in the background (published after commit)."""
    if transitioned.to_state in (S.APPROVED, S.RESOLVED):
        enqueue_on_commit("returns_desk.documents.tasks.render_documents", transitioned.return_id)


def documents_render_all(*, return_id: int) -> list[Document]:
    rr = ReturnRequest.objects.get(pk=return_id)
    return [document_current(return_id=return_id, kind=kind) for kind in available_kinds(rr)]
