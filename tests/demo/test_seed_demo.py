import contextlib
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Sum

from returns_desk.core.money import percent_of
from returns_desk.payments import gateway, money_rule
from returns_desk.payments.models import Dispute, Refund, StoreCredit
from returns_desk.returns.models import ReturnEvent, ReturnRequest, ReturnStatus
from tests.conftest import require
from tests.support import stripe as fake

pytestmark = pytest.mark.slow  # each seeds a small shop through the real services: seconds, not milliseconds


def assert_exchanges_and_disputes_are_whole() -> None:
    exchanged = ReturnRequest.objects.filter(events__transition="ship_exchange")
    assert exchanged.exists()
    assert not exchanged.filter(exchange_order__isnull=True).exists()
    assert not exchanged.exclude(exchange_order__amount_paid=0).exists()
    assert Dispute.objects.exclude(status__in=Dispute.FINAL_STATUSES).filter(return_request__isnull=False).exists()


def assert_money_follows_the_rule() -> None:
    """Every return keeps the terms it was quoted under; nothing gives back more than the order's money rule
    allows; store credit keeps its bonus apart from the settlement; an exchange knows what it was worth."""
    returns = list(ReturnRequest.objects.select_related("order").order_by("pk"))
    assert all(rr.terms and rr.terms["terms"]["store_credit_bonus_percent"] == 10 for rr in returns)
    for rr in returns:
        position = money_rule.position_for(rr)
        assert position.return_given <= position.return_lines_returned, rr.rma_number
        assert position.order_given <= min(position.paid, position.order_lines_returned), rr.order.number
    credits = list(StoreCredit.objects.filter(kind="issue").select_related("return_request"))
    assert credits
    for credit in credits:
        base, rr = credit.amount - credit.bonus, credit.return_request
        if rr.resolution == "mixed":  # settled item by item: the credited items' part (same-SKU exchanges)
            assert base == rr.settlement_parts["store_credit"], rr.rma_number
        else:
            assert base == rr.refund_amount, rr.rma_number
        assert credit.bonus == percent_of(base, 10) > 0
    for rr in ReturnRequest.objects.filter(events__transition="settle"):
        assert {i.resolution for i in rr.items.all()} == {"exchange", "store_credit"}, rr.rma_number
        assert rr.exchange_order is not None, rr.rma_number
    exchanged = ReturnRequest.objects.filter(events__transition="ship_exchange").annotate(
        worth=Sum(F("items__order_line__unit_price") * F("items__quantity"))
    )
    assert exchanged.exists()
    for rr in exchanged:
        assert rr.exchange_value == rr.worth, rr.rma_number
    # The settlement is the return's money, never the credit bonus: a refund pays exactly that.
    for refund in Refund.objects.filter(return_request__requested_outcome=""):
        assert refund.amount == refund.return_request.refund_amount


def assert_timelines_are_true() -> None:
    """Each return's status changes chain from `requested` to its current state, in time order."""
    chains = defaultdict(list)
    for event in ReturnEvent.objects.filter(kind="transition").order_by("created_at", "id"):
        chains[event.return_request_id].append(event)
    for rr in ReturnRequest.objects.all():
        events = chains[rr.pk]
        assert events[0].to_state == "requested" and events[0].from_state == ""
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_state == before.to_state, rr.rma_number
            assert after.created_at >= before.created_at
        assert events[-1].to_state == rr.status, rr.rma_number


def test_seed_demo_reaches_every_state_through_the_services(reference_data):
    call_command("seed_demo", orders=40, returns=70, seed=3, verbosity=0)
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == set(ReturnStatus.values)
    assert_timelines_are_true()
    assert Refund.objects.filter(status="succeeded").exists()
    assert Refund.objects.filter(status="failed", return_request__status="refund_failed").exists()
    # Without Stripe, refunds are made in the bank and recorded with its reference.
    assert not Refund.objects.filter(provider_refund_id="").exists()
    assert ReturnRequest.objects.filter(status="refund_pending", refunds__status="pending").exists()
    assert_exchanges_and_disputes_are_whole()
    assert_money_follows_the_rule()


def assert_a_return_is_settled_item_by_item() -> None:
    """The service path shows one (the bulk path, for volume, keeps to one outcome per return)."""
    assert ReturnRequest.objects.filter(events__transition="settle", resolution="mixed").exists()


def test_seed_demo_bulk_path_writes_the_same_kind_of_data(reference_data):
    call_command("seed_demo", orders=40, returns=120, seed=5, bulk=True, verbosity=0)
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == set(ReturnStatus.values)
    assert_timelines_are_true()
    for rr in ReturnRequest.objects.filter(status="refund_pending"):
        assert rr.refunds.filter(status="pending").count() == 1
    assert not ReturnRequest.objects.filter(rma_number__startswith="new-").exists()
    assert_exchanges_and_disputes_are_whole()
    assert_money_follows_the_rule()
    approved = ReturnRequest.objects.filter(events__transition="approve_refund")
    assert approved.exists() and not approved.filter(requested_outcome="").exists()
    assert not ReturnRequest.objects.filter(status="awaiting_approval", requested_amount__isnull=True).exists()


def test_the_bulk_path_refuses_what_the_money_rule_refuses(reference_data, monkeypatch):
    # The bulk path asks the rule itself (`money_rule.refusal`), so a rule that refuses everything stops it.
    monkeypatch.setattr(money_rule, "refusal", lambda position, amount, what: f"no {what} of {amount}")
    with pytest.raises(money_rule.MoneyRuleRefused, match="no "):
        call_command("seed_demo", orders=20, returns=30, seed=5, bulk=True, verbosity=0)
    assert not Refund.objects.exists() and not StoreCredit.objects.exists()


@pytest.mark.django_db(transaction=True)  # refunds are sent when each step commits
def test_with_stripe_the_returned_orders_are_paid_there_and_refunded_through_it(reference_data, settings, tmp_path):
    with fake.localstripe(tmp_path) as url:
        require(url is not None, "localstripe did not start (is it installed?)")
        settings.STRIPE_SECRET_KEY = "sk_test_returns_desk"
        settings.STRIPE_API_BASE = url
        settings.STRIPE_WEBHOOK_SECRET = fake.WEBHOOK_SECRET
        call_command("seed_demo", orders=40, returns=70, seed=3, verbosity=0)

        assert set(ReturnRequest.objects.values_list("status", flat=True)) == set(ReturnStatus.values)
        returned = ReturnRequest.objects.values_list("order__payment_reference", flat=True)
        for payment in set(returned):
            intent = gateway.client().v1.payment_intents.retrieve(payment)
            assert intent.status == "succeeded"
        refunds = Refund.objects.select_related("order")
        assert refunds.exists() and not refunds.exclude(provider="stripe").exists()
        succeeded = refunds.filter(status="succeeded")
        assert succeeded.exists()
        for refund in succeeded:
            at_stripe = fake_refunds(refund.order.payment_reference)
            assert [r["amount"] for r in at_stripe if r["id"] == refund.provider_refund_id] == [refund.amount]
        assert ReturnRequest.objects.filter(status="refund_failed", refunds__failure_code__gt="").exists()
        assert_money_follows_the_rule()


def fake_refunds(payment_intent: str) -> list[dict]:
    return [r.to_dict() for r in gateway.client().v1.refunds.list(params={"payment_intent": payment_intent}).data]


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_deterministic_for_a_seed():
    def snapshot():
        return list(
            ReturnRequest.objects.order_by("pk").values_list("order__number", "status", "quoted_amount", "resolution")
        )

    call_command("seed_demo", orders=30, returns=40, seed=11, verbosity=0)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", orders=30, returns=40, seed=11, verbosity=0)
    assert snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", orders=30, returns=40, seed=12, verbosity=0)
    assert snapshot() != first


class _Recorder(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def demo_stripe_server(port: int, state: Path, webhook_url: str):
    """`manage.py run_localstripe`, the demo's own launcher, as `make demo` starts it."""
    env = {**os.environ, "STRIPE_WEBHOOK_SECRET": fake.WEBHOOK_SECRET}
    command = [sys.executable, "manage.py", "run_localstripe", "--port", str(port), "--state", str(state)]
    process = subprocess.Popen([*command, "--webhook-url", webhook_url], env=env)  # noqa: S603
    try:
        require(fake.wait_for_port(port), "the demo's local Stripe server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


def test_the_demo_stripe_server_keeps_its_state_and_sends_refund_events(settings, tmp_path):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), type("Recorder", (_Recorder,), {"received": []}))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/stripe/"
    port, state = fake.free_port(), tmp_path / "stripe.pickle"
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_demo", fake.WEBHOOK_SECRET
    try:
        with demo_stripe_server(port, state, hook) as url:
            settings.STRIPE_API_BASE = url
            payment = gateway.client().v1.payment_intents.create(
                params={"amount": 4900, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
            )
            refund = gateway.create_refund(
                payment_reference=payment.id, amount=1500, idempotency_key="refund-RMA-000001-attempt-1", metadata={}
            )
            deadline = time.monotonic() + 10
            events = []
            while time.monotonic() < deadline and not any(e["type"] == "refund.created" for e in events):
                time.sleep(0.2)
                events = [
                    gateway.verified_event(body, signature) for body, signature in receiver.RequestHandlerClass.received
                ]
            told = [e["data"]["object"] for e in events if e["type"] == "refund.created"]
            assert [(r["id"], r["status"], r["amount"]) for r in told] == [(refund.id, "succeeded", 1500)]
            assert told[0]["metadata"]["idempotency_key"] == "refund-RMA-000001-attempt-1"
        assert state.exists()
        with demo_stripe_server(port, state, hook):  # a restart of `make demo` finds what was paid and refunded
            assert gateway.client().v1.payment_intents.retrieve(payment.id).status == "succeeded"
            assert gateway.retrieve_refund(refund.id).amount == 1500
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_the_desk_says_stripe_test_mode_when_refunds_go_to_stripe_with_a_test_key(client, agent, settings):
    client.force_login(agent)
    settings.STRIPE_SECRET_KEY = "sk_test_returns_desk_demo"
    assert "Stripe test mode" in client.get("/desk/").content.decode()
    for key in ("", "sk_live_not_a_real_key"):
        settings.STRIPE_SECRET_KEY = key
        assert "Stripe test mode" not in client.get("/desk/").content.decode()


def test_the_seeder_leaves_planner_statistics_on_every_database(reference_data):
    """After a bulk load the planner knows the tables' shapes: SQLite's sqlite_stat1, PostgreSQL's pg_class."""
    call_command("seed_demo", orders=40, returns=60, seed=3, bulk=True, verbosity=0)
    table = ReturnRequest._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        assert cursor.fetchone()[0] > 0
