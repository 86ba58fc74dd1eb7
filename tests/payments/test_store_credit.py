import datetime as dt

import pytest

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.payments import services as payments
from returns_desk.payments.models import StoreCredit
from returns_desk.payments.selectors import store_credit_balance, store_credit_codes
from returns_desk.returns.models import ReturnRequest
from tests.factories import return_in_state


@pytest.fixture
def credit(agent):
    rr = return_in_state("inspected", unit_price=5000)
    ReturnRequest.objects.filter(pk=rr.pk).update(resolution="store_credit")
    payments.return_issue_store_credit(return_request=rr, by=Actor.staff(agent))
    entry = rr.store_credits.get()
    assert (entry.amount, entry.bonus) == (5500, 500)  # the settled $50.00 plus the quoted 10% bonus
    return entry


def test_credit_instead_of_a_refund_earns_the_policys_bonus(agent):
    rr = return_in_state("refund_failed", unit_price=4000)  # the customer asked for a refund; it failed
    payments.return_issue_store_credit(return_request=rr, by=Actor.staff(agent))
    entry = rr.store_credits.get()
    assert entry.amount == 4400
    assert entry.note == f"For {rr.rma_number}, including a 10% bonus of $4.00"


def test_redeem_part_then_the_rest_and_no_more(credit, agent):
    payments.store_credit_redeem(code=credit.code.lower(), amount=2000, by=Actor.staff(agent), note="SO-9")
    payments.store_credit_redeem(code=credit.code, amount=3500, by=Actor.staff(agent))
    with pytest.raises(ServiceError, match=r"has \$0\.00 left; \$0\.01 is too much"):
        payments.store_credit_redeem(code=credit.code, amount=1, by=Actor.staff(agent))
    assert store_credit_balance(credit.email) == 0
    assert list(StoreCredit.objects.filter(code=credit.code).order_by("id").values_list("kind", "amount")) == [
        ("issue", 5500),
        ("redeem", -2000),
        ("redeem", -3500),
    ]


def test_expired_credit_cannot_be_spent_and_expiry_writes_the_rest_off(credit, agent):
    payments.store_credit_redeem(code=credit.code, amount=1000, by=Actor.staff(agent))
    later = dt.datetime.combine(credit.expires_on + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    with clock.frozen_at(later):
        with pytest.raises(ServiceError, match="expired on"):
            payments.store_credit_redeem(code=credit.code, amount=100, by=Actor.staff(agent))
        assert payments.store_credit_expire_due() == 1
        assert payments.store_credit_expire_due() == 0  # nothing left to expire
    [summary] = store_credit_codes(code=credit.code)
    assert (summary.issued, summary.balance) == (5500, 0)
    assert StoreCredit.objects.get(code=credit.code, kind="expire").amount == -4500


def test_unknown_code_is_named(reference_data, agent):
    with pytest.raises(ServiceError, match="No store credit with the code SC-NOPE"):
        payments.store_credit_redeem(code="sc-nope", amount=100, by=Actor.staff(agent))


def test_ticket_shows_the_customers_credit(credit, agent, client):
    client.force_login(agent)
    page = client.get(credit.return_request.get_absolute_url()).content.decode()
    assert credit.code in page and "$55.00 left of $55.00" in page


def test_desk_page_redeems_and_keeps_bad_input(credit, agent, client):
    client.force_login(agent)
    bad = client.post("/desk/store-credit/", {"code": credit.code, "amount": "12.345", "note": "SO-1"})
    assert "at most two decimals" in bad.content.decode()
    assert 'value="12.345"' in bad.content.decode()
    too_much = client.post("/desk/store-credit/", {"code": credit.code, "amount": "60", "note": ""})
    assert "is too much" in too_much.content.decode()
    ok = client.post("/desk/store-credit/", {"code": credit.code, "amount": "12.50", "note": "SO-1"}, follow=True)
    assert f"Redeemed $12.50 from {credit.code}." in ok.content.decode()
    assert "$42.50" in ok.content.decode()
    by_email = client.get("/desk/store-credit/", {"q": credit.email}).content.decode()
    assert credit.code in by_email
