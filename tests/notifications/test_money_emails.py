"""The customer hears about every money outcome in plain words: a manager's approval of credit or an exchange,
a refund that failed (never the provider's raw error), and by when a manual refund should arrive."""

import pytest
from django.core import mail

from returns_desk.core.actors import Actor
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from tests.factories import return_in_state

pytestmark = pytest.mark.django_db


def test_a_managers_approval_of_store_credit_emails_the_code(agent, manager, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=30000)
    payments.return_request_refund_approval(return_request=rr, by=Actor.staff(agent), outcome="store_credit")
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_approve_refund(return_request=rr, by=Actor.staff(manager))
    code = rr.store_credits.get().code
    [message] = [m for m in mail.outbox if code in m.body]
    assert "We issued $330.00 of store credit" in message.body


def test_a_failed_refund_is_explained_in_plain_words(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected")
    with django_capture_on_commit_callbacks(execute=False):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-1")
    refund = Refund.objects.get(return_request=rr)
    with django_capture_on_commit_callbacks(execute=True):
        payments.refund_record_outcome(
            refund_id=refund.pk,
            status="failed",
            by=Actor.stripe(),
            failure_reason="InvalidRequestError (HTTP 404: Not Found)",
        )
    [message] = [m for m in mail.outbox if "problem with your refund" in m.subject]
    assert "Your refund did not go through; we are looking into it" in message.body
    assert "HTTP 404" not in message.body and "InvalidRequestError" not in message.body


def test_a_recorded_manual_refund_says_by_when_it_arrives(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected")
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-77")
    refund = Refund.objects.get(return_request=rr)
    [message] = [m for m in mail.outbox if "refund has been issued" in m.subject]
    assert "reference BANK-77" in message.body
    assert f"you should see it by {refund.expected_by.day} {refund.expected_by:%B %Y}" in message.body
