"""Store credit: issued for a return (with the quoted bonus), redeemed, and expired; and an exchange's check
against the money rule."""

import datetime as dt

from django.db import transaction
from django.db.models import Sum

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.dates import long_date
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.core.money import format_money, percent_of
from returns_desk.payments import money_rule
from returns_desk.payments.models import StoreCredit, new_store_credit_code
from returns_desk.staff.roles import is_agent

STORE_CREDIT_VALID_DAYS = 365


def store_credit_issue_for_return(
    *, return_request, by: Actor, base: int, bonus_on: int | None = None
) -> tuple[StoreCredit, dict]:
    """Issue `base` of the return's money as store credit, plus the bonus its quoted terms give on `bonus_on`
    (all of `base` unless said: a cheaper replacement's difference earns none), with a new code.

    The base counts against the order's money rule; the bonus is the shop's gift, kept apart (and never more
    than the quoted percentage). Base and bonus together count against the VA's limit. The caller holds the locks.
    """
    rr = return_request
    percent = rr.quoted_terms().terms.store_credit_bonus_percent
    earning = base if bonus_on is None else max(min(bonus_on, base), 0)
    bonus = percent_of(earning, percent) if earning > 0 else 0
    why = money_rule.bonus_refusal(base=base, bonus=bonus, percent=percent, currency=rr.currency)
    if why:
        raise ServiceError(why)
    decision = money_rule.authorize(
        return_request=rr, amount=base, counted=base + bonus, by=by, what="issue as store credit"
    )
    note = f"For {rr.rma_number}"
    if bonus:
        note += f", including a {percent:g}% bonus of {format_money(bonus, rr.currency)}"
    now = clock.now()
    entry = StoreCredit.objects.create(
        email=rr.email.lower(),
        kind=StoreCredit.Kind.ISSUE,
        amount=base + bonus,
        bonus=bonus,
        currency=rr.currency,
        code=new_store_credit_code(),
        return_request=rr,
        expires_on=(now + dt.timedelta(days=STORE_CREDIT_VALID_DAYS)).date(),
        note=note,
        created_by=by.user if by.kind == Actor.STAFF else None,
        created_at=now,
    )
    return entry, {**decision, "store_credit_code": entry.code, "bonus": bonus, "credit_total": base + bonus}


def exchange_authorize(*, return_request, value: int, settled: int, by: Actor) -> dict:
    """An exchange gives back the replacements' value: within the money rule, and what it costs beyond the
    settled amount counts against the VA's limit. The caller holds the locks and ships the replacements."""
    return money_rule.authorize(
        return_request=return_request, amount=value, counted=max(0, value - settled), by=by, what="exchange for"
    )


def store_credit_redeem(*, code: str, amount: int, by: Actor, note: str = "") -> StoreCredit:
    """Spend part or all of a code's balance (at checkout, or by staff on the customer's behalf)."""
    if by.kind == Actor.STAFF and not is_agent(by.user):
        raise ActionForbidden("Only desk staff can redeem store credit.")
    code = (code or "").strip().upper()
    if amount <= 0:
        raise ServiceError("Redeem an amount above zero.")
    with transaction.atomic():
        issued = StoreCredit.objects.select_for_update().filter(code=code, kind=StoreCredit.Kind.ISSUE).first()
        if issued is None:
            raise ServiceError(f"No store credit with the code {code}.")
        if issued.expires_on and issued.expires_on < clock.today():
            raise ServiceError(f"{code} expired on {long_date(issued.expires_on)}.")
        balance = StoreCredit.objects.filter(code=code).aggregate(s=Sum("amount"))["s"] or 0
        if amount > balance:
            raise ServiceError(
                f"{code} has {format_money(balance, issued.currency)} left; "
                f"{format_money(amount, issued.currency)} is too much."
            )
        return StoreCredit.objects.create(
            email=issued.email,
            kind=StoreCredit.Kind.REDEEM,
            amount=-amount,
            currency=issued.currency,
            code=code,
            note=note.strip()[:255],
            created_by=by.user if by.kind == Actor.STAFF else None,
            created_at=clock.now(),
        )


def store_credit_expire_due() -> int:
    """Write an expiry entry for every code past its date that still has a balance. Runs daily."""
    today = clock.today()
    expired = 0
    due = StoreCredit.objects.filter(kind=StoreCredit.Kind.ISSUE, expires_on__lt=today).values_list("code", flat=True)
    for code in due.iterator():
        with transaction.atomic():
            issued = StoreCredit.objects.select_for_update().get(code=code, kind=StoreCredit.Kind.ISSUE)
            balance = StoreCredit.objects.filter(code=code).aggregate(s=Sum("amount"))["s"] or 0
            if balance > 0:
                StoreCredit.objects.create(
                    email=issued.email,
                    kind=StoreCredit.Kind.EXPIRE,
                    amount=-balance,
                    currency=issued.currency,
                    code=code,
                    note=f"Expired on {long_date(issued.expires_on or today)}",  # due ones have a date
                    created_at=clock.now(),
                )
                expired += 1
    return expired


# --- disputes -----------------------------------------------------------------------------------------
