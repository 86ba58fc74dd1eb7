"""Writes about money: refunds in two phases, store credit, disputes, and the money transitions of a return.

- `refunds`: a refund recorded under the money rule, sent by a task, its answer applied once.
- `store_credit`: credit issued (with the quoted bonus), redeemed, expired.
- `outcomes`: the return's money transitions (refund, store credit, exchange); `approvals`: a manager's;
  `settlement`: a return settled item by item, each item's outcome its own.
- `disputes`: chargebacks as Stripe reports them, and the evidence sent back.

Callers import the services from here: `from returns_desk.payments import services`.
"""

from .approvals import (
    REQUESTABLE,
    default_request_amount,
    return_approve_refund,
    return_deny_refund,
    return_request_refund_approval,
)
from .disputes import (
    DisputeNotForDesk,
    dispute_apply_stripe,
    dispute_evidence_from_desk,
    dispute_record_evidence_sent,
    dispute_send_evidence,
    dispute_stage_evidence,
)
from .outcomes import (
    Replacement,
    exchanged_items,
    return_issue_refund,
    return_issue_store_credit,
    return_refund_without_return,
    return_retry_refund,
    return_ship_exchange,
)
from .refunds import (
    CUSTOMER_WORDS,
    CUSTOMER_WORDS_DEFAULT,
    FAILURE_REASONS,
    FINAL_REFUND_STATUSES,
    failure_words,
    refund_claim_for_sending,
    refund_confirm_manual,
    refund_mark_failed_manual,
    refund_record_for_return,
    refund_record_outcome,
    refund_record_provider_error,
)
from .settlement import return_settle
from .store_credit import (
    STORE_CREDIT_VALID_DAYS,
    exchange_authorize,
    store_credit_expire_due,
    store_credit_issue_for_return,
    store_credit_redeem,
)

__all__ = [
    "CUSTOMER_WORDS",
    "CUSTOMER_WORDS_DEFAULT",
    "FAILURE_REASONS",
    "FINAL_REFUND_STATUSES",
    "REQUESTABLE",
    "STORE_CREDIT_VALID_DAYS",
    "DisputeNotForDesk",
    "Replacement",
    "default_request_amount",
    "dispute_apply_stripe",
    "dispute_evidence_from_desk",
    "dispute_record_evidence_sent",
    "dispute_send_evidence",
    "dispute_stage_evidence",
    "exchange_authorize",
    "exchanged_items",
    "failure_words",
    "refund_claim_for_sending",
    "refund_confirm_manual",
    "refund_mark_failed_manual",
    "refund_record_for_return",
    "refund_record_outcome",
    "refund_record_provider_error",
    "return_approve_refund",
    "return_deny_refund",
    "return_issue_refund",
    "return_issue_store_credit",
    "return_refund_without_return",
    "return_request_refund_approval",
    "return_retry_refund",
    "return_settle",
    "return_ship_exchange",
    "store_credit_expire_due",
    "store_credit_issue_for_return",
    "store_credit_redeem",
]
