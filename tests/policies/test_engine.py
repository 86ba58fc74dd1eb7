"""The pure policy engine: eligibility in words, and quotes that never pay out too much."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from returns_desk.policies import engine
from returns_desk.policies.engine import LineFacts, OrderFacts, PolicyTerms, QuoteItem

TODAY = dt.date(2026, 11, 22)
TERMS = PolicyTerms(
    return_window_days=30,
    restocking_fee_percent=10,
    return_shipping_fee=595,
    non_returnable_categories=frozenset({"underwear"}),
    store_credit_bonus_percent=10,
    returnless_refund_threshold=1500,
)


def line(**overrides) -> LineFacts:
    values = {"line_id": 1, "title": "Merino tee", "category": "tops", "unit_price": 3500, "quantity": 2}
    return LineFacts(**{**values, **overrides})


def order(delivered_days_ago: int | None = 10, **overrides) -> OrderFacts:
    delivered = None if delivered_days_ago is None else TODAY - dt.timedelta(days=delivered_days_ago)
    return OrderFacts(**{"currency": "USD", "delivered_on": delivered, "amount_paid": 7000, **overrides})


def test_line_inside_the_window_is_eligible_with_its_closing_date():
    verdict = engine.evaluate_line(line(), order(10), TERMS, TODAY)
    assert verdict.eligible
    assert verdict.returnable_quantity == 2
    assert verdict.reasons == ("Returnable until 12 December (20 days left).",)


def test_window_closed_names_the_day_it_closed():
    verdict = engine.evaluate_line(line(), order(40), TERMS, TODAY)
    assert not verdict.eligible
    assert verdict.reasons == ("The return window closed on 12 November.",)
    assert verdict.returnable_quantity == 0


def test_window_closing_last_year_names_the_year():
    verdict = engine.evaluate_line(line(), order(400), TERMS, TODAY)
    assert verdict.reasons == ("The return window closed on 17 November 2025.",)


def test_last_day_of_the_window_is_still_eligible():
    verdict = engine.evaluate_line(line(), order(30), TERMS, TODAY)
    assert verdict.eligible
    assert verdict.reasons == ("Returnable until 22 November (0 days left).",)


def test_final_sale_is_refused_in_words():
    verdict = engine.evaluate_line(line(final_sale=True), order(), TERMS, TODAY)
    assert not verdict.eligible
    assert "Final sale items can't be returned." in verdict.reasons


def test_final_sale_allowed_when_the_policy_says_so():
    terms = PolicyTerms(return_window_days=30, final_sale_returnable=True)
    assert engine.evaluate_line(line(final_sale=True), order(), terms, TODAY).eligible


def test_non_returnable_category_is_named():
    verdict = engine.evaluate_line(line(category="Underwear"), order(), TERMS, TODAY)
    assert verdict.reasons == ("Items in the category “Underwear” can't be returned.",)


def test_undelivered_order_cannot_be_returned():
    verdict = engine.evaluate_line(line(), order(None), TERMS, TODAY)
    assert verdict.reasons == ("This order hasn't been delivered yet, so it can't be returned.",)


def test_already_returned_quantity_is_counted():
    partly = engine.evaluate_line(line(already_returned_quantity=1), order(), TERMS, TODAY)
    assert partly.eligible and partly.returnable_quantity == 1
    assert "1 of 2 already in another return; 1 can still be returned." in partly.reasons
    fully = engine.evaluate_line(line(already_returned_quantity=2), order(), TERMS, TODAY)
    assert not fully.eligible
    assert fully.reasons == ("All 2 of these are already in other returns.",)


def test_every_failing_reason_is_listed():
    verdict = engine.evaluate_line(line(final_sale=True, category="underwear"), order(45), TERMS, TODAY)
    assert len(verdict.reasons) == 3


def test_quote_for_a_shop_fault_refunds_everything():
    quote = engine.quote_return(
        [QuoteItem(line(), 2, customer_pays_shipping=False, reason_label="Arrived damaged")], order(), TERMS
    )
    assert (quote.items_subtotal, quote.restocking_fee, quote.return_shipping_fee, quote.total) == (7000, 0, 0, 7000)
    assert quote.breakdown[0].label == "2 × Merino tee at $35.00 — Arrived damaged"


def test_quote_for_a_change_of_mind_deducts_restocking_and_shipping():
    quote = engine.quote_return([QuoteItem(line(), 2, customer_pays_shipping=True)], order(), TERMS)
    assert quote.restocking_fee == 700
    assert quote.return_shipping_fee == 595
    assert quote.total == 7000 - 700 - 595
    assert [q.amount for q in quote.breakdown] == [7000, -700, -595]


def test_store_credit_earns_the_bonus_within_what_was_paid():
    quote = engine.quote_return([QuoteItem(line(), 1, False)], order(), TERMS, resolution=engine.STORE_CREDIT)
    assert quote.store_credit_bonus == 350
    assert quote.total == 3850


def test_credit_for_everything_paid_keeps_its_whole_bonus_on_top():
    """Quoted $70.00 of credit and a 10% bonus on a $70.00 order: the customer gets $77.00, not $69.30."""
    quote = engine.quote_return([QuoteItem(line(), 2, False)], order(), TERMS, resolution=engine.STORE_CREDIT)
    assert (quote.capped_by, quote.store_credit_bonus, quote.total) == (0, 700, 7700)
    assert dict(quote.parts) == {"store_credit": 7000}


def test_a_capped_credit_earns_its_bonus_on_what_remains():
    capped = engine.quote_return(
        [QuoteItem(line(), 2, False)], order(already_refunded=5000), TERMS, resolution=engine.STORE_CREDIT
    )
    assert (capped.capped_by, dict(capped.parts), capped.store_credit_bonus, capped.total) == (
        5000,
        {"store_credit": 2000},
        200,
        2200,
    )
    assert [line.amount for line in capped.breakdown] == [7000, -5000, 200]


def test_quote_is_capped_by_what_was_already_refunded():
    quote = engine.quote_return([QuoteItem(line(), 2, False)], order(already_refunded=5000), TERMS)
    assert quote.total == 2000
    assert quote.capped_by == 5000
    assert "$50.00 already given back" in quote.breakdown[-1].label


def test_returnless_refund_waives_fees_and_follows_the_threshold():
    cheap = engine.quote_return([QuoteItem(line(unit_price=1200), 1, True)], order(), TERMS, returnless=True)
    assert cheap.total == 1200
    assert engine.returnless_allowed(cheap, TERMS)
    dear = engine.quote_return([QuoteItem(line(), 1, True)], order(), TERMS, returnless=True)
    assert not engine.returnless_allowed(dear, TERMS)


def test_exchange_waives_the_restocking_fee():
    quote = engine.quote_return([QuoteItem(line(), 1, True)], order(), TERMS, resolution=engine.EXCHANGE)
    assert quote.restocking_fee == 0


# --- properties ------------------------------------------------------------------------------------

terms_strategy = st.builds(
    PolicyTerms,
    return_window_days=st.integers(1, 365),
    restocking_fee_percent=st.sampled_from([0, 5, 10, 12.5, 15, 33.33, 50, 99.99, 100]),
    return_shipping_fee=st.integers(0, 50_000),
    store_credit_bonus_percent=st.sampled_from([0, 5, 10, 25, 100]),
    returnless_refund_threshold=st.integers(0, 10_000),
)


@st.composite
def quotes(draw):
    lines = draw(st.lists(st.tuples(st.integers(1, 500_000), st.integers(1, 5), st.booleans()), min_size=1, max_size=6))
    items = []
    per_item = draw(st.booleans())  # items asking for outcomes of their own (a "mixed" return), or all the same
    for n, (price, quantity, customer_pays) in enumerate(lines):
        facts = LineFacts(line_id=n, title=f"Item {n}", category="tops", unit_price=price, quantity=quantity)
        own = draw(st.sampled_from(engine.OUTCOMES)) if per_item else ""
        items.append(QuoteItem(facts, draw(st.integers(1, quantity)), customer_pays, resolution=own))
    paid = draw(st.integers(0, sum(price * qty for price, qty, _ in lines) + 2_000))
    refunded = draw(st.integers(0, paid + 1_000))
    facts = OrderFacts(currency="USD", delivered_on=TODAY, amount_paid=paid, already_refunded=refunded)
    resolution = engine.MIXED if per_item else draw(st.sampled_from(engine.OUTCOMES))
    return items, facts, draw(terms_strategy), resolution, draw(st.booleans())


@given(quotes())
def test_quote_is_never_negative_nor_more_than_still_refundable(case):
    items, facts, terms, resolution, returnless = case
    quote = engine.quote_return(items, facts, terms, resolution=resolution, returnless=returnless)
    assert quote.total >= 0
    # The bonus is the shop's gift on top of the money: it is not what the order gives back.
    assert quote.total - quote.store_credit_bonus <= max(facts.amount_paid - facts.already_refunded, 0)


@given(quotes())
def test_fees_never_exceed_what_they_apply_to(case):
    items, facts, terms, resolution, returnless = case
    quote = engine.quote_return(items, facts, terms, resolution=resolution, returnless=returnless)
    customer_fault = sum(i.line.unit_price * i.quantity for i in items if i.customer_pays_shipping)
    assert 0 <= quote.restocking_fee <= customer_fault
    assert 0 <= quote.return_shipping_fee <= quote.items_subtotal - quote.restocking_fee
    assert quote.restocking_fee + quote.return_shipping_fee <= quote.items_subtotal


@given(quotes())
def test_breakdown_adds_up_to_the_total(case):
    items, facts, terms, resolution, returnless = case
    quote = engine.quote_return(items, facts, terms, resolution=resolution, returnless=returnless)
    assert sum(line.amount for line in quote.breakdown) == quote.total


@given(quotes())
def test_parts_split_the_settlement_by_outcome(case):
    items, facts, terms, resolution, returnless = case
    quote = engine.quote_return(items, facts, terms, resolution=resolution, returnless=returnless)
    parts = dict(quote.parts)
    assert all(amount >= 0 for amount in parts.values())
    assert sum(parts.values()) == quote.total - min(quote.store_credit_bonus, quote.total)
    assert set(parts) == {item.resolution or resolution for item in items}


@given(quotes())
def test_only_store_credit_earns_a_bonus_and_exchanges_pay_no_restocking(case):
    items, facts, terms, resolution, returnless = case
    quote = engine.quote_return(items, facts, terms, resolution=resolution, returnless=returnless)
    wanted = [item.resolution or resolution for item in items]
    credited = sum(i.line.unit_price * i.quantity for i, w in zip(items, wanted, strict=True) if w == "store_credit")
    assert quote.store_credit_bonus <= engine.percent_of(credited, terms.store_credit_bonus_percent)
    fault_kept = sum(
        i.line.unit_price * i.quantity
        for i, w in zip(items, wanted, strict=True)
        if i.customer_pays_shipping and w != "exchange"
    )
    assert quote.restocking_fee <= fault_kept


@given(quotes(), st.sampled_from(engine.OUTCOMES))
def test_items_naming_one_outcome_quote_as_the_return_naming_it(case, outcome):
    items, facts, terms, _, returnless = case
    named = [QuoteItem(i.line, i.quantity, i.customer_pays_shipping, resolution=outcome) for i in items]
    plain = [QuoteItem(i.line, i.quantity, i.customer_pays_shipping) for i in items]
    assert engine.quote_return(named, facts, terms, resolution=engine.MIXED, returnless=returnless).total == (
        engine.quote_return(plain, facts, terms, resolution=outcome, returnless=returnless).total
    )


def test_a_mixed_quote_takes_fees_off_the_refund_first_and_gives_the_bonus_on_the_credit():
    shirt = QuoteItem(line(line_id=1, unit_price=4000, quantity=1), 1, True, resolution=engine.REFUND)
    tee = QuoteItem(line(line_id=2, unit_price=3000, quantity=1), 1, True, resolution=engine.STORE_CREDIT)
    boots = QuoteItem(line(line_id=3, unit_price=2000, quantity=1), 1, True, resolution=engine.EXCHANGE)
    quote = engine.quote_return([shirt, tee, boots], order(amount_paid=9000), TERMS, resolution=engine.MIXED)
    assert quote.restocking_fee == 700  # 10% of the shirt and the tee; the exchanged boots pay none
    assert quote.return_shipping_fee == 595
    assert dict(quote.parts) == {"refund": 4000 - 700 - 595, "store_credit": 3000, "exchange": 2000}
    assert quote.store_credit_bonus == 300
