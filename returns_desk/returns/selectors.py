"""Reads of returns, shaped so that the query count does not grow with the rows shown."""

from django.db.models import Prefetch

from .models import ReturnEvent, ReturnItem, ReturnRequest


def return_for_ticket(pk: int) -> ReturnRequest:
    """One return with everything its ticket page shows, in a fixed number of queries."""
    return (
        ReturnRequest.objects.select_related("order", "assignee", "exchange_order")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ReturnItem.objects.select_related(
                    "order_line__product", "reason", "exchange_product"
                ).prefetch_related("photos"),
            ),
            Prefetch(
                "events",
                queryset=ReturnEvent.objects.select_related("actor_user")
                .defer("actor_user__password", "actor_user__last_login", "actor_user__date_joined")
                .order_by("created_at", "id"),
            ),
            "refunds",
            "order__lines",
            "order__disputes",
        )
        .get(pk=pk)
    )


# Conditions about how the return is settled (item by item, or as one outcome): known now, so the actions
# that do not fit the return are not offered at all.
SHAPE_CONDITIONS = frozenset({"asks_item_by_item", "settles_as_one_outcome"})


def available_actions(rr: ReturnRequest, actor) -> list[str]:
    """Transitions this actor could run from the current state.

    Other conditions are left to the moment of use: some are met by the action's own form (an inspection
    records every item), and a refusal then says why in words.
    """
    # django-fsm adds get_all_<field>_transitions to the model class at run time.
    transitions = rr.get_all_status_transitions()  # type: ignore[attr-defined]
    return [
        t.name
        for t in transitions
        if t.source in (rr.status, "*")
        and t.has_perm(rr, actor)
        and all(check(rr) for check in t.conditions if getattr(check, "__name__", "") in SHAPE_CONDITIONS)
    ]
