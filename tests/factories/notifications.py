"""Emails in the outbox, as a return's change would have queued them."""

import factory

from returns_desk.notifications.models import OutboundEmail
from tests.factories.returns import return_in_state


class OutboundEmailFactory(factory.django.DjangoModelFactory):
    """A queued email to the return's customer: by default, the acknowledgement of a new return."""

    class Meta:
        model = OutboundEmail

    return_request = factory.LazyFunction(lambda: return_in_state())
    event_key = factory.Sequence(lambda n: f"test-email-{n}")
    kind = "acknowledgement"
    to_email = factory.SelfAttribute("return_request.email")
    subject = factory.LazyAttribute(lambda e: f"We received your return request [{e.return_request.rma_number}]")
    text_body = "We received your return request."
    message_id = factory.Sequence(lambda n: f"<test-{n}@returns.local>")
