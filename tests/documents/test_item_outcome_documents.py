"""The settlement documents say what became of each item: accepted or not, why not (the desk's words for the
customer, never its own note), what happens to it, the amount per item, and "We accepted $X of the $Y quoted".
Each PDF is rendered and read back."""

import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.money import format_money
from returns_desk.payments import services as payments
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.documents.test_settlement_documents import stored_text
from tests.factories import return_in_state
from tests.notifications.test_item_outcome_emails import DESK_NOTE, open_received, reject


def flat(text: str) -> str:
    """The PDF's text with line breaks and runs of spaces as single spaces (table cells wrap)."""
    return " ".join(text.split())


@pytest.fixture
def refunded_one_of_two(agent, django_capture_on_commit_callbacks):
    rr = open_received(agent, [("Wool coat", 14900), ("Leather boots", 8900)])
    coat, boots = rr.items.order_by("id")
    staff = Actor.staff(agent)
    services.return_inspect(
        return_request=rr,
        by=staff,
        results=[services.ItemInspection(coat.pk, "accepted", "like_new", "restock"), reject(boots)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=staff, reference="BANK-7")
    rr = ReturnRequest.objects.get(pk=rr.pk)
    assert rr.status == "resolved"
    return rr


def test_the_receipt_explains_the_item_not_accepted_and_the_total(refunded_one_of_two):
    text = flat(stored_text(refunded_one_of_two, "receipt"))
    assert "Wool coat" in text and "Accepted $149.00" in text
    assert "Leather boots" in text and "Not accepted $0.00 of $89.00" in text
    assert "Why: They came back worn & washed; the soles can't be resold." in text
    assert "What happens to it: Sent back to you at your cost" in text
    assert "We accepted $149.00 of the $238.00 quoted." in text
    assert "Not accepted: 1 × Leather boots ($89.00); the reason is given with it." in text
    assert "Refunded $149.00" in text


def test_the_desks_own_note_is_never_printed(refunded_one_of_two):
    assert refunded_one_of_two.items.filter(inspection_note=DESK_NOTE).exists()
    for kind in ("receipt", "packing_slip", "label"):
        assert "third return this month" not in stored_text(refunded_one_of_two, kind)


def test_the_credit_note_counts_the_bonus_in_what_was_accepted(agent, django_capture_on_commit_callbacks):
    rr = open_received(agent, [("Linen shirt", 5000)], resolution="store_credit")
    staff = Actor.staff(agent)
    services.return_inspect(
        return_request=rr,
        by=staff,
        results=[services.ItemInspection(i.pk, "accepted", "new", "restock") for i in rr.items.all()],
    )
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_store_credit(return_request=rr, by=staff)
    rr = ReturnRequest.objects.get(pk=rr.pk)
    credit = rr.store_credits.get()
    text = flat(stored_text(rr, "credit_note"))
    # The $50.00 order's whole price as credit, and the 10% bonus on top: quoted and issued alike.
    assert (rr.quoted_amount, credit.amount, credit.bonus) == (5500, 5500, 500)
    assert "We accepted every item: the full $55.00 quoted." in text
    assert (
        f"Store credit bonus (10%), added when we issue the store credit +{format_money(credit.bonus, 'USD')}" in text
    )
    assert f"Total {credit.amount_display}" in text


def test_a_refund_without_return_says_the_customer_kept_the_items(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("approved")  # $10.00, under the policy's threshold: the customer keeps it
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_refund_without_return(return_request=rr, by=Actor.staff(agent), reference="BANK-3")
    rr = ReturnRequest.objects.get(pk=rr.pk)
    assert rr.status == "resolved"
    text = flat(stored_text(rr, "receipt"))
    assert "Kept by you: refunded without sending it back" in text
    assert "You kept the items: we refunded $10.00 without them coming back." in text
    assert "We accepted" not in text
