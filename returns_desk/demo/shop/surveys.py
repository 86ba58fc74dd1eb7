"""What customers thought: a rating, and sometimes a word, after their return was finished."""

import datetime as dt
import random

from django.utils import timezone

from returns_desk.returns.models import ReturnRequest, ReturnStatus, SurveyResponse

SURVEY_COMMENTS = {
    5: ["Quick and easy, thank you!", "Refund arrived in days.", ""],
    4: ["Good, the label printing was simple.", ""],
    3: ["Took a while but it worked out.", ""],
    2: ["Slow to hear back.", "Had to chase twice."],
    1: ["Still waiting for my money.", "Nobody answered my emails."],
}


def seed_surveys(rng: random.Random) -> int:
    """About half of the finished returns got a rating, a few days after they were resolved."""
    finished = ReturnRequest.objects.filter(status__in=[ReturnStatus.RESOLVED, ReturnStatus.CLOSED]).exclude(
        pk__in=SurveyResponse.objects.values("return_request_id")
    )
    rows = []
    for pk, resolved_at, status_changed_at, rejected in finished.values_list(
        "pk", "resolved_at", "status_changed_at", "rejection_reason"
    ).order_by("pk"):
        if rng.random() > 0.5:
            continue
        weights = [1, 1, 2, 4, 6] if not rejected else [5, 3, 2, 1, 1]
        score = rng.choices([1, 2, 3, 4, 5], weights)[0]
        moment = (resolved_at or status_changed_at) + dt.timedelta(days=rng.uniform(1, 5))
        rows.append(
            SurveyResponse(
                return_request_id=pk,
                score=score,
                comment=rng.choice(SURVEY_COMMENTS[score]),
                created_at=min(moment, timezone.now()),
            )
        )
    SurveyResponse.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
