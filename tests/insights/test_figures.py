"""Insights figures against values worked out by hand on a small shop.

Orders (all by one customer, placed on 2 Nov):
  A: 4 × T1 tee ($10), 1 × S1 shirt ($30)      B: 2 × T1, 3 × S1      C: 5 × SH1 shoe ($50)
  D: 20 × S2 sweater ($20, never returned)
Returns, created on 5 Nov at 09:00 ("t0"), worked by Ana:
  R1  A: 3 × T1 damaged "Seam split"     approved t0+2h, received +50h, inspected +60h, refunded (manual) +70h
  R2  B: 1 × T1 + 1 × S1 doesn't fit     approved t0+30h, then waits for the parcel
  R3  C: 1 × SH1 changed mind            rejected t0+5h
  R4  B: 1 × S1 wrong item               cancelled by the customer t0+1h
Units sold: T1 6, S1 4, S2 20 (tops 30); SH1 5 (shoes 5).
Units returned (not cancelled, not rejected): T1 3 + 1 = 4, S1 1 → tops 5; shoes 0.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.core.clock import frozen_at
from returns_desk.demo.shop.example import Line, example_order
from returns_desk.insights.queries import money, outcomes, people, prevention, rates, surveys, timing
from returns_desk.insights.queries.period import Period
from returns_desk.orders.models import Product
from returns_desk.payments import services as payments
from returns_desk.payments.services import refund_confirm_manual
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest, SurveyResponse

pytestmark = pytest.mark.django_db

PLACED = timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))
T0 = timezone.make_aware(dt.datetime(2026, 11, 5, 9, 0))
PERIOD = Period(dt.date(2026, 10, 1), dt.date(2026, 11, 21))


def hours(n: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=n)


@pytest.fixture
def shop(agent):
    products = {
        sku: Product.objects.create(sku=sku, title=title, category=cat, price=price, stock=5, style=sku)
        for sku, title, cat, price in [
            ("T1", "Tee", "tops", 1000),
            ("S1", "Shirt", "tops", 3000),
            ("S2", "Sweater", "tops", 2000),
            ("SH1", "Shoe", "shoes", 5000),
        ]
    }

    def order(number, lines):
        made = example_order(
            number=number,
            email="sam@example.com",
            customer_name="Sam Lee",
            placed_at=PLACED,
            delivered_at=PLACED + dt.timedelta(days=1),
            lines={sku: Line(products[sku], quantity=n) for sku, n in lines},
        )
        return made.order, made.lines

    a, a_lines = order("A", [("T1", 4), ("S1", 1)])
    b, b_lines = order("B", [("T1", 2), ("S1", 3)])
    c, c_lines = order("C", [("SH1", 5)])
    order("D", [("S2", 20)])
    staff, customer = Actor.staff(agent), Actor.customer()

    def create(o, items):
        with frozen_at(T0):
            rr = services.return_create(
                order=o,
                items=[services.RequestedItem(line.pk, n, reason, words) for line, n, reason, words in items],
                by=customer,
            )
            services.return_claim(return_request=rr, by=staff)
        return rr

    r1 = create(a, [(a_lines["T1"], 3, "damaged", "Seam split")])
    r2 = create(b, [(b_lines["T1"], 1, "doesnt-fit", "Too tight"), (b_lines["S1"], 1, "doesnt-fit", "")])
    r3 = create(c, [(c_lines["SH1"], 1, "changed-mind", "")])
    r4 = create(b, [(b_lines["S1"], 1, "wrong-item", "")])
    with frozen_at(hours(1)):
        services.return_cancel(return_request=r4, by=customer)
    with frozen_at(hours(2)):
        services.return_approve(return_request=r1, by=staff)
    with frozen_at(hours(5)):
        services.return_reject(return_request=r3, by=staff, reason="Worn.")
    with frozen_at(hours(30)):
        services.return_approve(return_request=r2, by=staff)
    with frozen_at(hours(50)):
        services.return_receive(return_request=r1, by=staff)
    item = r1.items.get()
    with frozen_at(hours(60)):
        services.return_inspect(
            return_request=r1, by=staff, results=[services.ItemInspection(item.pk, "accepted", "used", "restock")]
        )
    with frozen_at(hours(65)):
        payments.return_issue_refund(return_request=r1, by=staff, reference="BANK-1")
    with frozen_at(hours(70)):
        refund_confirm_manual(refund=r1.refunds.get(), by=staff, reference="BANK-1")
    SurveyResponse.objects.create(return_request=r1, score=4, comment="Fine", created_at=hours(100))
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4}


def test_return_rates_by_sku_product_and_category(shop):
    all_rates = rates.return_rates(PERIOD)
    skus = {r.key: (r.sold, r.returned) for r in all_rates.skus}
    assert skus == {"T1": (6, 4), "S1": (4, 1), "S2": (20, 0), "SH1": (5, 0)}
    categories = {r.key: (r.sold, r.returned, r.rate) for r in all_rates.categories}
    assert categories == {"tops": (30, 5, pytest.approx(1 / 6)), "shoes": (5, 0, 0.0)}
    assert [(r.key, r.title) for r in all_rates.products][0] == ("T1", "Tee")  # 4/6 is the highest rate
    only_shoes = rates.return_rates(Period(PERIOD.start, PERIOD.end, "shoes"))
    assert {r.key for r in only_shoes.skus} == {"SH1"}
    assert {r.key for r in only_shoes.categories} == {"tops", "shoes"}  # the comparison stays shop-wide


def test_reasons_and_resolution_mix(shop):
    reasons = {r["reason__code"]: (r["units"], r["returns"]) for r in outcomes.reasons(PERIOD)}
    assert reasons == {"damaged": (3, 1), "doesnt-fit": (2, 1), "changed-mind": (1, 1), "wrong-item": (1, 1)}
    assert outcomes.resolution_mix(PERIOD) == {
        "refund": 1,
        "store_credit": 0,
        "exchange": 0,
        "mixed": 0,
        "rejected": 1,
        "cancelled": 1,
        "open": 1,
    }


def test_median_stage_times_and_sla_compliance(shop):
    assert timing.median_duration(PERIOD, "created_at", "approved_at") == dt.timedelta(hours=16)  # (2 h + 30 h) / 2
    assert timing.median_duration(PERIOD, "received_at", "resolved_at") == dt.timedelta(hours=20)
    assert timing.sla_compliance(PERIOD, active_policy()) == {
        "first_response": (2, 3),  # R1 at 2 h and R3 at 5 h within 24 h; R2 at 30 h is late
        "inspection": (1, 1),
        "refund": (1, 1),
    }


def test_weekly_money_satisfaction_and_throughput(shop):
    weeks = money.weekly_money(PERIOD)
    assert [(w["week"], w["refunds"], w["store_credit"], w["exchanges"]) for w in weeks] == [
        (dt.date(2026, 11, 2), 3000, 0, 0)  # the Monday of the week it was paid
    ]
    overall = surveys.satisfaction(PERIOD)
    assert (overall["average"], overall["responses"], overall["s4"]) == (4.0, 1, 1)
    by_reason = surveys.satisfaction_by(PERIOD, "reason")
    assert [(r["label"], r["average"], r["responses"]) for r in by_reason] == [("Arrived damaged", 4.0, 1)]
    assert [r["label"] for r in surveys.satisfaction_by(PERIOD, "resolution")] == ["Refund to original payment"]
    assert [r["label"] for r in surveys.satisfaction_by(PERIOD, "agent")] == ["Ana"]
    [ana] = people.agent_throughput(PERIOD)
    assert (ana["assignee__username"], ana["first_responses"], ana["inspections"], ana["resolved"]) == ("ana", 3, 1, 1)


def test_prevention_names_skus_returned_twice_as_often_as_their_category(shop):
    all_rates = rates.return_rates(PERIOD)
    [problem] = prevention.problem_skus(PERIOD, all_rates.skus, all_rates.categories)
    assert problem.row.key == "T1" and problem.row.rate == pytest.approx(4 / 6)  # > 2 × 1/6
    assert problem.top_reasons == [("Arrived damaged", 3), ("Doesn't fit", 1)]
    assert problem.words == ["Seam split", "Too tight"] or problem.words == ["Too tight", "Seam split"]


def test_serial_returners(shop):
    with frozen_at(hours(80)):
        [sam] = people.serial_returners(days=90, at_least=4)
    assert (sam["email"], sam["returns"]) == ("sam@example.com", 4)


def test_page_is_for_managers_within_25_queries_with_csv(client, shop, agent, manager, django_assert_max_num_queries):
    client.force_login(agent)
    assert client.get("/desk/insights/").status_code == 403
    client.force_login(manager)
    url = "/desk/insights/?start=2026-10-01&end=2026-11-21&category="
    with django_assert_max_num_queries(25):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "16.7%" in html and "66.7%" in html  # tops, and T1
    assert "<svg" in html and "Seam split" in html
    csv_response = client.get(url + "&export=skus")
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode().splitlines()
    assert lines[0] == "Key,Name,Category,Units sold,Units returned,Return rate"
    assert "T1,Tee,tops,6,4,0.6667" in lines
    bad = client.get("/desk/insights/?start=2026-11-21&end=2026-10-01")
    assert bad.status_code == 400 and "The end is before the start." in bad.content.decode()


def test_the_report_is_worked_out_once_per_period_until_asked_again(client, shop, manager):
    client.force_login(manager)
    url = "/desk/insights/?start=2026-10-01&end=2026-11-21&category="
    client.get(url)
    with CaptureQueriesContext(connection) as again:
        page = client.get(url)
    assert len(again) <= 4 and "Figures as of" in page.content.decode()
    ReturnRequest.objects.filter(pk=shop["r2"].pk).update(resolution="store_credit")
    with CaptureQueriesContext(connection) as fresh:
        client.get(url + "&fresh=1")
    assert len(fresh) > 10  # worked out from the database again
