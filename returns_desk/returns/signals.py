"""Signals sent by returns services after their transaction commits (never on rollback)."""

from django.dispatch import Signal

# Sent with: return_id, transition, from_state, to_state, event_id.
return_transitioned = Signal()
