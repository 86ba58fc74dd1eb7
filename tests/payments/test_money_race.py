"""Two returns of one order racing to give back more, together, than the order paid.

The order paid $100.00 for two lines of $80.00 and $70.00 (a discount), both returned and inspected. Two
VAs act on the two returns at the same moment — a refund against store credit, or two refunds, or two
credits. The money rule allows $100.00 in all, so exactly one of them goes through each time; the other is
refused with `MoneyRuleRefused`, in words that say how much can still be given back, and its return is
left exactly as it was.

PostgreSQL only: what this checks is that the order's row lock (taken first by every money service)
serialises the two transactions under READ COMMITTED, so the second reads the first one's rows before it
decides. On SQLite the whole database is locked by IMMEDIATE transactions, which proves nothing about the
row locks; the test is skipped there (CI runs the suite a second time on PostgreSQL, where it runs).
Every other round holds the window between reading the figures and writing open on purpose, so that two racers
without the lock would both read "$100.00 remains" and both pay.
"""

import time

import pytest
from django.db.models import F, Sum

from returns_desk.core.actors import Actor
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.payments.money_rule import MoneyRuleRefused
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from returns_desk.staff.models import StaffProfile
from tests.conftest import on_postgres
from tests.factories import OrderFactory, UserFactory, return_in_state
from tests.returns.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not on_postgres(),
        reason="needs PostgreSQL (DATABASE_URL=postgres://...): it tests the order's row lock, which SQLite lacks",
    ),
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 10
PAID, FIRST, SECOND = 10_000, 8_000, 7_000  # $100.00 paid; lines of $80.00 and $70.00
BONUS_PERCENT = 10  # the fixture policy's store credit bonus: on top, not counted by the rule
HOLD_OPEN_SECONDS = 0.15


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def given_back(order) -> tuple[int, int]:
    """What the order gave back, summed from the tables themselves: (refunds, store credit base)."""
    refunded = Refund.objects.filter(order=order, status__in=Refund.ACTIVE_STATUSES).aggregate(s=Sum("amount"))["s"]
    credited = StoreCredit.objects.filter(return_request__order=order, kind=StoreCredit.Kind.ISSUE).aggregate(
        s=Sum(F("amount") - F("bonus"))
    )["s"]
    return refunded or 0, credited or 0


def give_back(kind: str, rr: ReturnRequest, by: Actor):
    if kind == "refund":  # the order was not paid through Stripe: the refund is made in the bank first
        return lambda: payments.return_issue_refund(return_request=rr, by=by, reference=f"BANK-{rr.pk}")
    return lambda: payments.return_issue_store_credit(return_request=rr, by=by)


WORDS = {"refund": "refund", "credit": "issue as store credit"}


@pytest.fixture
def racers(reference_data):
    """Two VAs whose own limits are far above these amounts, so only the money rule can refuse."""
    users = [UserFactory(username=f"racer{i}", first_name=f"Racer{i}", groups=["Agents"]) for i in range(2)]
    for user in users:
        StaffProfile.objects.update_or_create(user=user, defaults={"refund_limit": 1_000_000})
    return [Actor.staff(user) for user in users]


def held_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the figures takes a while, as on a busy server: a racer that did not wait for the order's
    lock would decide on figures the other is about to change, and both would pay."""
    read = money_rule.position_for

    def slow(return_request):
        position = read(return_request)
        time.sleep(HOLD_OPEN_SECONDS)
        return position

    monkeypatch.setattr(money_rule, "position_for", slow)


@pytest.mark.parametrize(
    "kinds",
    [("refund", "credit"), ("refund", "refund"), ("credit", "credit")],
    ids=["refund_vs_credit", "refund_vs_refund", "credit_vs_credit"],
)
def test_two_returns_racing_past_what_was_paid_give_back_only_the_allowed_total(racers, kinds, monkeypatch):
    pair = kinds
    for n in range(ROUNDS):
        kinds = pair if n % 4 < 2 else pair[::-1]  # the $80.00 return gives back each way in turn
        order = OrderFactory(amount_paid=PAID, payment_reference="", number=f"RACE-{n}")
        returns = [return_in_state("inspected", unit_price=price, order=order) for price in (FIRST, SECOND)]
        asked = (FIRST, SECOND)
        before = [ReturnRequest.objects.filter(pk=rr.pk).values().get() for rr in returns]
        events_before = [ReturnEvent.objects.filter(return_request=rr).count() for rr in returns]
        calls = [give_back(kinds[i], returns[i], racers[i]) for i in range(2)]
        errors: dict[int, BaseException] = {}

        def act(i: int, calls=calls, errors=errors) -> None:
            try:
                calls[i]()
            except BaseException as refused:
                errors[i] = refused
                raise

        with monkeypatch.context() as patch:
            if n % 2:  # every other round, the window between reading and writing is held open
                held_open(patch)
            results = race(2, act)

        assert sorted(kind for kind, _ in results) == ["ok", "refused"], (n, results)  # no deadlock, no crash
        [loser] = errors
        winner = 1 - loser
        error = errors[loser]
        assert isinstance(error, MoneyRuleRefused), (n, repr(error))
        # The loser is told why: what it asked, what can still be given back, what the order paid.
        left = PAID - asked[winner]
        assert str(error) == (
            f"Refusing to {WORDS[kinds[loser]]} {money(asked[loser])}: only {money(left)} can still be given back "
            f"for this return (order paid {money(PAID)})."
        ), n

        refunded, credited = given_back(order)
        assert refunded + credited == asked[winner] <= PAID, (n, refunded, credited)
        assert (refunded, credited) == ((asked[winner], 0) if kinds[winner] == "refund" else (0, asked[winner]))
        won = ReturnRequest.objects.get(pk=returns[winner].pk)
        # A refund recorded with its bank reference is confirmed by the task run on commit.
        assert won.status in (("refund_pending", "resolved") if kinds[winner] == "refund" else ("resolved",))
        if kinds[winner] == "credit":
            entry = StoreCredit.objects.get(return_request=won)
            assert (entry.amount, entry.bonus) == (
                asked[winner] * (100 + BONUS_PERCENT) // 100,
                asked[winner] * BONUS_PERCENT // 100,
            )

        lost = returns[loser]
        assert ReturnRequest.objects.filter(pk=lost.pk).values().get() == before[loser], n
        assert before[loser]["status"] == "inspected"
        assert not Refund.objects.filter(return_request=lost).exists()
        assert not StoreCredit.objects.filter(return_request=lost).exists()
        assert ReturnEvent.objects.filter(return_request=lost).count() == events_before[loser]
        # The rule still agrees with itself afterwards: nothing more can be given back for the order than paid.
        for rr in returns:
            position = money_rule.position_for(ReturnRequest.objects.get(pk=rr.pk))
            assert position.order_given == asked[winner] and position.remaining <= left
