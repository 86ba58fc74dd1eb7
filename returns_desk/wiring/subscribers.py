"""Every subscription in one place: what runs when a return changes, and who hands what to whom.

Returns publishes typed events (`returns.events`) and never imports its subscribers, which live on the floors
above it; payments hands returns the two money readings it needs; the worker's schedules and inbound email
are connected here too. Read top to bottom, this is everything that happens beside a service's own writes.
"""

from anymail.signals import inbound
from django.apps import apps
from django.db.models.signals import post_migrate

from returns_desk.core.schedules import ensure_periodic_tasks
from returns_desk.desk.notices import notify_customer_wrote
from returns_desk.documents.services import render_documents_after_transition
from returns_desk.notifications.inbound import on_anymail_inbound
from returns_desk.notifications.services import (
    email_for_desk_message,
    email_for_transition,
    email_managers_sla_breaches,
)
from returns_desk.payments.money_rule import order_given_back
from returns_desk.payments.selectors import order_has_open_dispute
from returns_desk.returns import events, ledger

# (event type, subscriber): inside the transaction for the `…Recorded` events, after commit for the others.
SUBSCRIBERS = [
    (events.TransitionRecorded, email_for_transition),  # the customer's email for the new state (outbox row)
    (events.DeskMessageRecorded, email_for_desk_message),  # a VA's message, emailed in the return's thread
    (events.ReturnTransitioned, render_documents_after_transition),  # label, receipt, credit note: a task
    (events.SlaBreached, email_managers_sla_breaches),  # one email to the managers per escalation run
    (events.CustomerWrote, notify_customer_wrote),  # the bell (and an email, if asked) for whoever answers
]


def connect() -> None:
    for event_type, handler in SUBSCRIBERS:
        events.subscribe(event_type, handler)
    ledger.install(given_back=order_given_back, dispute_open=order_has_open_dispute)
    inbound.connect(on_anymail_inbound, dispatch_uid="notifications.inbound")
    # post_migrate is sent once per app with models; the schedule table is django_q's, so listen for it.
    post_migrate.connect(
        ensure_periodic_tasks, sender=apps.get_app_config("django_q"), dispatch_uid="returns_desk.periodic"
    )
