"""Races between people acting on the same return at the same moment.

Each thread has its own database connection. On PostgreSQL the row locks (`select_for_update`)
serialise them; on SQLite, IMMEDIATE transactions do. Either way exactly one wins.
"""

import threading

import pytest
from django.db import connections

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent
from tests.factories import UserFactory, return_in_state

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 8


def race(n: int, act) -> list[tuple[str, str]]:
    barrier = threading.Barrier(n)
    results: list[tuple[str, str]] = []
    guard = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            act(i)
            outcome = ("ok", "")
        except ServiceError as refused:
            outcome = ("refused", str(refused))
        except Exception as crash:  # noqa: BLE001 - any other error is a failure the test reports
            outcome = ("error", repr(crash))
        finally:
            connections.close_all()
        with guard:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_eight_agents_racing_to_approve_one_return(reference_data):
    agents = [UserFactory(username=f"racer{i}", first_name=f"Racer{i}", groups=["Agents"]) for i in range(RACERS)]
    rr = return_in_state("requested")

    results = race(RACERS, lambda i: services.return_approve(return_request=rr, by=Actor.staff(agents[i])))

    assert [kind for kind, _ in results].count("ok") == 1, results
    refusals = [message for kind, message in results if kind == "refused"]
    assert len(refusals) == RACERS - 1, results
    assert all(m.startswith("Already approved by Racer") and "Nothing was changed" in m for m in refusals)
    assert ReturnEvent.objects.filter(return_request=rr, transition="approve").count() == 1
    rr.refresh_from_db()
    assert rr.status == "approved"


def test_eight_agents_racing_to_refund_one_return_make_one_refund(reference_data):
    agents = [UserFactory(username=f"payer{i}", first_name=f"Payer{i}", groups=["Agents"]) for i in range(RACERS)]
    rr = return_in_state("inspected", unit_price=4200)

    results = race(
        RACERS,
        lambda i: payments.return_issue_refund(return_request=rr, by=Actor.staff(agents[i]), reference=f"BANK-{i}"),
    )

    assert [kind for kind, _ in results].count("ok") == 1, results
    refusals = [message for kind, message in results if kind == "refused"]
    assert len(refusals) == RACERS - 1, results
    # The recorded manual refund may already be confirmed when a late racer asks.
    assert all(
        m.startswith("Already refunded by Payer") or "no longer possible: the return is now Resolved" in m
        for m in refusals
    ), refusals
    refund = Refund.objects.get(return_request=rr)
    assert (refund.amount, refund.attempt) == (4200, 1)
    assert ReturnEvent.objects.filter(return_request=rr, transition="issue_refund").count() == 1


def test_one_customer_draft_confirmed_eight_times_at_once_opens_one_return(reference_data):
    from tests.portal.shop import build_shop

    shop = build_shop()
    item = services.RequestedItem(shop.shirt.pk, 1, "damaged")  # 1 of 2: a second return would be allowed

    results = race(
        RACERS,
        lambda i: services.return_create(
            order=shop.order, items=[item], by=Actor.customer(), submission_key="draft-key-1"
        ),
    )

    assert [kind for kind, _ in results] == ["ok"] * RACERS, results
    assert shop.order.returns.count() == 1
    assert ReturnEvent.objects.filter(return_request__order=shop.order, kind="transition").count() == 1
