"""The policy terms a return was quoted under, frozen on the return when it is opened.

A policy edit in admin applies to new returns only: every later figure for a return (inspection,
store credit bonus, returnless threshold, the VA's default limit) is worked out from these terms, so the
customer is paid from terms they accepted.
"""

import dataclasses
from dataclasses import dataclass, field

from returns_desk.core.money import format_money

from .engine import PolicyTerms


@dataclass(frozen=True)
class QuotedTerms:
    terms: PolicyTerms
    agent_refund_limit: int
    currency: str = "USD"
    policy_id: int | None = None
    policy_name: str = ""
    # Reason code -> does the customer pay return shipping for it (as the reason said at the time).
    customer_pays: dict[str, bool] = field(default_factory=dict)
    reason_labels: dict[str, str] = field(default_factory=dict)  # code -> the words the customer chose

    @classmethod
    def from_policy(cls, policy, reasons=()) -> "QuotedTerms":
        return cls(
            terms=policy.terms(),
            agent_refund_limit=policy.agent_refund_limit,
            currency=policy.currency,
            policy_id=policy.pk,
            policy_name=policy.name,
            customer_pays={r.code: r.customer_pays for r in reasons},
            reason_labels={r.code: r.label for r in reasons},
        )

    def as_json(self) -> dict:
        terms = dataclasses.asdict(self.terms)
        terms["non_returnable_categories"] = sorted(self.terms.non_returnable_categories)
        return {
            "policy_id": self.policy_id,
            "policy_name": self.policy_name,
            "currency": self.currency,
            "agent_refund_limit": self.agent_refund_limit,
            "customer_pays": dict(sorted(self.customer_pays.items())),
            "reason_labels": dict(sorted(self.reason_labels.items())),
            "terms": terms,
        }

    @classmethod
    def from_json(cls, data: dict) -> "QuotedTerms":
        terms = dict(data["terms"])
        terms["non_returnable_categories"] = frozenset(terms.get("non_returnable_categories", ()))
        return cls(
            terms=PolicyTerms(**terms),
            agent_refund_limit=int(data["agent_refund_limit"]),
            currency=data.get("currency", "USD"),
            policy_id=data.get("policy_id"),
            policy_name=data.get("policy_name", ""),
            customer_pays={str(k): bool(v) for k, v in (data.get("customer_pays") or {}).items()},
            reason_labels={str(k): str(v) for k, v in (data.get("reason_labels") or {}).items()},
        )

    def customer_pays_for(self, reason) -> bool:
        """Who pays return shipping for a reason, as it stood when the return was quoted."""
        return self.customer_pays.get(reason.code, reason.customer_pays)

    def same_as(self, other: "QuotedTerms") -> bool:
        """Would these terms price a return the same way as `other` (reasons aside)?"""
        return self.terms == other.terms and self.agent_refund_limit == other.agent_refund_limit

    def described(self) -> list[str]:
        """The terms in words, for the ticket's policy panel."""
        t, money = self.terms, (lambda amount: format_money(amount, self.currency))
        lines = [f"{t.return_window_days}-day return window from delivery"]
        lines.append(
            f"restocking fee {t.restocking_fee_percent:g}%" if t.restocking_fee_percent else "no restocking fee"
        )
        lines.append(
            f"return shipping {money(t.return_shipping_fee)} when the reason is the customer's"
            if t.return_shipping_fee
            else "free return shipping"
        )
        if t.store_credit_bonus_percent:
            lines.append(f"store credit bonus {t.store_credit_bonus_percent:g}%")
        if t.returnless_refund_threshold:
            lines.append(f"keep the item at or under {money(t.returnless_refund_threshold)}")
        lines.append(f"VA refund limit {money(self.agent_refund_limit)}")
        paid_by_customer = sorted(
            self.reason_labels.get(code, code) for code, pays in self.customer_pays.items() if pays
        )
        if paid_by_customer:
            lines.append(f"the customer pays return shipping for: {', '.join(paid_by_customer)}")
        return lines
