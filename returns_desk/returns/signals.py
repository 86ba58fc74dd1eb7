"""Signals sent by returns services.

`transition_recorded` is sent inside the transaction that changed the return, so that a receiver's
writes (an outbox email) commit or roll back with it; receivers must only write rows, never call out.
`return_transitioned` is sent after that transaction commits (never on rollback), for side effects.
"""

from django.dispatch import Signal

# Sent with: return_request, transition ("" when the return was opened), event.
transition_recorded = Signal()

# Sent with: return_id, transition, from_state, to_state, event_id.
return_transitioned = Signal()

# Sent inside the transaction with: return_request, event (a message from the desk to the customer).
message_recorded = Signal()

# Sent with: returns (the ones escalated in this run), after their escalation is written.
sla_breached = Signal()
