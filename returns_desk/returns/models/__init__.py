"""The returns app's models: `ReturnRequest` (its states in `choices`), its items, photos and rating, and the
append-only timeline of `ReturnEvent`s."""

from returns_desk.returns.models.choices import (
    APPROVED_AND_AFTER,
    CARRIERS,
    ITEM_RESOLUTIONS,
    OPEN_STATUSES,
    MoneyOutcome,
    Priority,
    Resolution,
    ReturnStatus,
)
from returns_desk.returns.models.event import AppendOnlyQuerySet, ReturnEvent
from returns_desk.returns.models.items import ReturnItem, ReturnPhoto, SurveyResponse
from returns_desk.returns.models.return_request import ReturnRequest, new_customer_token

__all__ = [
    "APPROVED_AND_AFTER",
    "CARRIERS",
    "ITEM_RESOLUTIONS",
    "OPEN_STATUSES",
    "AppendOnlyQuerySet",
    "MoneyOutcome",
    "Priority",
    "Resolution",
    "ReturnEvent",
    "ReturnItem",
    "ReturnPhoto",
    "ReturnRequest",
    "ReturnStatus",
    "SurveyResponse",
    "new_customer_token",
]
