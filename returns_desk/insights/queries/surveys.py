"""Customers' satisfaction from the period's surveys: overall, and by reason, resolution or agent."""

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from returns_desk.returns.models import Resolution, ReturnItem, SurveyResponse

from .period import Period

SCORES = range(1, 6)


def _surveys(period: Period):
    surveys = SurveyResponse.objects.filter(period.within("created_at"))
    if period.category:
        surveys = surveys.filter(
            Exists(
                ReturnItem.objects.filter(
                    return_request=OuterRef("return_request"), order_line__category=period.category
                )
            )
        )
    return surveys


def _score_counts() -> dict:
    return {f"s{n}": Count("pk", filter=Q(score=n)) for n in SCORES}


def satisfaction(period: Period) -> dict:
    return _surveys(period).aggregate(average=Avg("score"), responses=Count("pk"), **_score_counts())


def satisfaction_by(period: Period, dimension: str) -> list[dict]:
    """Average and distribution by the return's main reason (its first item's), resolution, or agent."""
    surveys = _surveys(period)
    if dimension == "reason":
        first_reason = ReturnItem.objects.filter(return_request=OuterRef("return_request")).order_by("pk")
        surveys = surveys.annotate(label=Subquery(first_reason.values("reason__label")[:1]))
    elif dimension == "resolution":
        surveys = surveys.annotate(label=F("return_request__resolution"))
    else:
        surveys = surveys.annotate(
            label=Coalesce(
                NullIf(F("return_request__assignee__first_name"), Value("")),
                F("return_request__assignee__username"),
                Value("(unassigned)"),
            )
        )
    rows = surveys.values("label").annotate(average=Avg("score"), responses=Count("pk"), **_score_counts())
    result = list(rows.order_by("-responses", "label"))
    if dimension == "resolution":
        names = dict(Resolution.choices)
        for row in result:
            row["label"] = names.get(row["label"], row["label"])
    return result
