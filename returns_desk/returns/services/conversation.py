"""Talking about a return: messages both ways, internal notes, more photos, and the customer's rating.

The conversation has a state of its own beside the return's: a customer's message, in any state of the return
(resolved and closed included), leaves it unanswered since then, with a reply target from the policy; a reply
to the customer answers it (an internal note does not). The return's own state does not change.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, AlreadyActedError, ServiceError
from returns_desk.returns import permissions as can
from returns_desk.returns.events import DeskMessageRecorded, publish
from returns_desk.returns.models import ReturnEvent, ReturnPhoto, ReturnRequest, ReturnStatus, SurveyResponse
from returns_desk.returns.photos import stage_uploads

from .engine import required
from .stages import return_info_received
from .timeline import record_event
from .unanswered import conversation_answered, conversation_customer_wrote

SURVEY_OPEN_STATUSES = frozenset({ReturnStatus.RESOLVED, ReturnStatus.CLOSED})


def return_add_message(*, return_request: ReturnRequest, by: Actor, body: str, data: dict | None = None) -> ReturnEvent:
    """A message the customer sees (from staff: also emailed to them) or the desk reads (from the customer).

    `data` is kept on the timeline event, e.g. the address an emailed message came from (`from_email`).
    """
    body = required(body, "a message")
    if by.kind == Actor.STAFF and not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can write to the customer.")
    with transaction.atomic():
        event = record_event(
            return_request=return_request,
            kind=ReturnEvent.Kind.MESSAGE,
            by=by,
            body=body,
            visible_to_customer=True,
            data=data,
        )
        if by.kind == Actor.STAFF:
            publish(DeskMessageRecorded(return_request=return_request, event=event))
            conversation_answered(return_request=return_request)
        elif by.kind == Actor.CUSTOMER:
            conversation_customer_wrote(return_request=return_request, event=event)
    return event


def return_add_note(*, return_request: ReturnRequest, by: Actor, body: str) -> ReturnEvent:
    """An internal note: staff only, never shown to the customer."""
    if not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can add internal notes.")
    return record_event(
        return_request=return_request, kind=ReturnEvent.Kind.NOTE, by=by, body=required(body, "the note")
    )


def return_customer_reply(*, return_request: ReturnRequest, body: str) -> ReturnRequest:
    """The customer writes to the desk. An answer to the desk's question moves the return back to the desk."""
    body = required(body, "a message")
    if return_request.status == ReturnStatus.NEEDS_INFO:
        try:
            with transaction.atomic():
                answered = return_info_received(return_request=return_request, by=Actor.customer(), message=body)
                event = answered.events.filter(transition="info_received").order_by("-id").first()
                conversation_customer_wrote(return_request=answered, event=event)
            return answered
        except AlreadyActedError:
            pass  # a VA moved it on meanwhile; the message still reaches the desk
    return_add_message(return_request=return_request, by=Actor.customer(), body=body)
    return return_request


def return_add_photos(*, return_request: ReturnRequest, item_id: int, uploads: Sequence, by: Actor) -> list:
    """Attach more photos to one item of the return: all of them or, if any is refused, none."""
    if not return_request.is_open:
        raise ServiceError("This return is finished, so photos can no longer be added.")
    item = return_request.items.filter(pk=item_id).first()
    if item is None:
        raise ServiceError("Choose one of the items in this return.")
    if not uploads:
        raise ServiceError("Choose at least one photo.")
    names = stage_uploads(uploads, already=item.photos.count())
    now = clock.now()
    with transaction.atomic():
        photos = ReturnPhoto.objects.bulk_create(ReturnPhoto(item=item, image=name, uploaded_at=now) for name in names)
        record_event(
            return_request=return_request,
            kind=ReturnEvent.Kind.MESSAGE,
            by=by,
            body=f"Added {len(names)} photo{'s' if len(names) != 1 else ''} of {item.order_line.title}.",
            visible_to_customer=True,
            data={"photos": names, "item_id": item.pk},
        )
    return photos


def return_record_survey(*, return_request: ReturnRequest, score: int, comment: str = "") -> SurveyResponse:
    """The customer's rating, once the return is resolved, and only once."""
    if return_request.status not in SURVEY_OPEN_STATUSES:
        raise ServiceError("You can rate the service once your return is complete.")
    if not 1 <= score <= 5:
        raise ServiceError("Choose a rating from 1 to 5.")
    try:
        with transaction.atomic():
            survey = SurveyResponse.objects.create(
                return_request=return_request, score=score, comment=comment.strip(), created_at=clock.now()
            )
            if survey.comment:  # words, not just a score: someone should read them and may answer
                event = record_event(
                    return_request=return_request,
                    kind=ReturnEvent.Kind.MESSAGE,
                    by=Actor.customer(),
                    body=f"Rated the service {score}/5: {survey.comment}",
                    visible_to_customer=True,
                    data={"survey_id": survey.pk},
                )
                conversation_customer_wrote(return_request=return_request, event=event)
            return survey
    except IntegrityError as error:
        raise AlreadyActedError("You have already rated this return. Thank you!") from error
