"""The insights page as tables (each also a CSV download) and charts, from the queries' figures."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString

from returns_desk.core import clock
from returns_desk.core.money import format_money
from returns_desk.policies.models import ReturnPolicy
from returns_desk.policies.selectors import active_policy

from . import charts
from .queries import money, outcomes, people, prevention, rates, surveys, timing
from .queries.period import Period
from .queries.prevention import ProblemSku
from .queries.rates import RateRow, Rates


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)  # raw values: CSV writes them as they are
    shown: list[list[str]] = field(default_factory=list)  # the same, as a person reads them
    chart: SafeString | None = None
    note: str = ""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _duration(span: dt.timedelta | None) -> str:
    if span is None:
        return "—"
    hours = span.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def _rate_table(key: str, title: str, rows: list[RateRow], *, limit: int | None = None, chart=False) -> Table:
    shown_rows = [r for r in rows if r.sold] if limit is None else [r for r in rows if r.sold][:limit]
    table = Table(key, title, ["Key", "Name", "Category", "Units sold", "Units returned", "Return rate"])
    for r in shown_rows:
        table.rows.append([r.key, r.title, r.category, r.sold, r.returned, round(r.rate or 0, 4)])
        table.shown.append([r.key, r.title, r.category, str(r.sold), str(r.returned), _pct(r.rate)])
    if chart:
        table.chart = charts.hbars([charts.Bar(r.title, r.rate or 0, _pct(r.rate)) for r in shown_rows], title=title)
    return table


@dataclass
class Report:
    period: Period
    summary: dict
    tables: dict[str, Table]
    problems: list[ProblemSku]
    computed_at: dt.datetime | None = None


def _cache_key(period: Period) -> str:
    return f"insights:v1:{period.start}:{period.end}:{period.category}"


def cached(period: Period, *, fresh: bool = False) -> Report:
    """The report as of its last computation (a few minutes at most): every figure is a set of aggregate
    queries over the whole period, too heavy to run for each page view at a million returns."""
    key = _cache_key(period)
    report = None if fresh else cache.get(key)
    if report is None:
        report = build(period)
        cache.set(key, report, settings.INSIGHTS_CACHE_SECONDS)
    return report


def build(period: Period) -> Report:
    """Every section of the page in turn: its figures from the queries, then its table; the figures in short last."""
    policy = active_policy()
    all_rates = rates.return_rates(period)
    shown_categories = [r for r in all_rates.categories if not period.category or r.key == period.category]
    tables = _rate_tables(all_rates, shown_categories)
    tables["reasons"] = _reasons_table(outcomes.reasons(period))
    weeks = money.weekly_money(period)
    tables["weekly"] = _weekly_table(weeks, policy.currency)
    tables["resolutions"] = _resolutions_table(outcomes.resolution_mix(period))
    to_approve = timing.median_duration(period, "created_at", "approved_at")
    to_resolve = timing.median_duration(period, "received_at", "resolved_at")
    tables["stages"] = _stages_table(to_approve, to_resolve, timing.sla_compliance(period, policy), policy)
    overall = surveys.satisfaction(period)
    tables["satisfaction"] = _satisfaction_table(overall)
    for dimension in ("reason", "resolution", "agent"):
        table = _satisfaction_by_table(dimension, surveys.satisfaction_by(period, dimension))
        tables[table.key] = table
    tables["agents"] = _agents_table(people.agent_throughput(period))
    problems = prevention.problem_skus(period, all_rates.skus, all_rates.categories)
    tables["prevention"] = _prevention_table(problems)
    tables["serial"] = _serial_table(people.serial_returners(), policy.currency)
    summary = _summary(
        shown_categories,
        all_rates.categories,
        weeks=weeks,
        overall=overall,
        to_approve=to_approve,
        to_resolve=to_resolve,
        currency=policy.currency,
    )
    return Report(period=period, summary=summary, tables=tables, problems=problems, computed_at=clock.now())


def _money(amount: int, currency: str) -> str:
    return format_money(amount or 0, currency)


def _rate_tables(all_rates: Rates, shown_categories: list[RateRow]) -> dict[str, Table]:
    return {
        "categories": _rate_table("categories", "Return rate by category", shown_categories, chart=True),
        "products": _rate_table("products", "Return rate by product (top 15)", all_rates.products, limit=15),
        "skus": _rate_table("skus", "Return rate by SKU (top 20)", all_rates.skus, limit=20),
    }


def _reasons_table(reasons: list[dict]) -> Table:
    t = Table("reasons", "Why customers return", ["Reason", "Units", "Returns"])
    total_units = sum(r["units"] for r in reasons) or 1
    for r in reasons:
        t.rows.append([r["reason__label"], r["units"], r["returns"]])
        t.shown.append([r["reason__label"], str(r["units"]), str(r["returns"])])
    t.chart = charts.hbars(
        [charts.Bar(r["reason__label"], r["units"], f"{r['units']} ({r['units'] / total_units:.0%})") for r in reasons],
        title=t.title,
    )
    return t


def _weekly_table(weeks: list[dict], currency: str) -> Table:
    t = Table(
        "weekly", "Refunds, store credit and exchanges by week", ["Week of", "Refunds", "Store credit", "Exchanges"]
    )
    for w in weeks:
        t.rows.append([w["week"].isoformat(), w["refunds"], w["store_credit"], w["exchanges"]])
        t.shown.append(
            [
                f"{w['week']:%d %b}",
                _money(w["refunds"], currency),
                _money(w["store_credit"], currency),
                str(w["exchanges"]),
            ]
        )
    t.chart = charts.columns(
        [f"{w['week']:%d %b}" for w in weeks],
        [
            charts.Series("Refunds", [w["refunds"] / 100 for w in weeks]),
            charts.Series("Store credit", [w["store_credit"] / 100 for w in weeks]),
        ],
        title=t.title,
        money=lambda v: _money(round(v * 100), currency),
    )
    t.note = f"{sum(w['exchanges'] for w in weeks)} exchanges shipped in the period."
    return t


OUTCOME_NAMES = {
    "refund": "Refunded",
    "store_credit": "Store credit",
    "exchange": "Exchanged",
    "mixed": "Item by item (a mix)",
    "rejected": "Rejected",
    "cancelled": "Cancelled or expired",
    "open": "Still open",
}


def _resolutions_table(mix: dict[str, int]) -> Table:
    total = sum(mix.values()) or 1
    t = Table("resolutions", "How returns ended", ["Outcome", "Returns", "Share"])
    for k, label in OUTCOME_NAMES.items():
        t.rows.append([label, mix[k], round(mix[k] / total, 4)])
        t.shown.append([label, str(mix[k]), f"{mix[k] / total:.0%}"])
    t.chart = charts.hbars([charts.Bar(OUTCOME_NAMES[k], mix[k], str(mix[k])) for k in OUTCOME_NAMES], title=t.title)
    return t


def _stages_table(
    to_approve: dt.timedelta | None,
    to_resolve: dt.timedelta | None,
    sla: dict[str, tuple[int, int]],
    policy: ReturnPolicy,
) -> Table:
    t = Table("stages", "Time per stage and SLA compliance", ["Measure", "Value"])
    targets = {
        "first_response": f"First response within {policy.sla_first_response_hours} h",
        "inspection": f"Inspection within {policy.sla_inspection_hours} h of receipt",
        "refund": f"Resolution within {policy.sla_refund_hours} h of inspection",
    }
    t.rows += [
        ["Median requested → approved (hours)", round(to_approve.total_seconds() / 3600, 2) if to_approve else ""],
        ["Median received → resolved (hours)", round(to_resolve.total_seconds() / 3600, 2) if to_resolve else ""],
    ]
    t.shown += [
        ["Median requested → approved", _duration(to_approve)],
        ["Median received → resolved", _duration(to_resolve)],
    ]
    bars = []
    for stage, (ok, done) in sla.items():
        share = ok / done if done else None
        t.rows.append([targets[stage], round(share, 4) if share is not None else ""])
        t.shown.append([targets[stage], f"{_pct(share)} ({ok} of {done})"])
        bars.append(charts.Bar(targets[stage], share or 0, _pct(share), highlight=share is not None and share < 0.8))
    t.chart = charts.hbars(bars, title="SLA compliance", label_width=300, width=640, scale=1.0)
    return t


def _satisfaction_table(overall: dict) -> Table:
    t = Table("satisfaction", "Satisfaction", ["Rating", "Responses"])
    for n in reversed(surveys.SCORES):
        t.rows.append([n, overall[f"s{n}"]])
        t.shown.append([f"{n} ★", str(overall[f"s{n}"])])
    t.chart = charts.hbars(
        [
            charts.Bar(f"{n} ★", overall[f"s{n}"], str(overall[f"s{n}"]), highlight=n <= 2)
            for n in reversed(surveys.SCORES)
        ],
        title="Ratings",
    )
    return t


def _satisfaction_by_table(dimension: str, rows: list[dict]) -> Table:
    t = Table(
        f"satisfaction_{dimension}",
        f"Satisfaction by {dimension}",
        [dimension.capitalize(), "Average", "Responses", "5", "4", "3", "2", "1"],
    )
    for r in rows:
        spread = [r[f"s{n}"] for n in reversed(surveys.SCORES)]
        t.rows.append([r["label"] or "—", round(r["average"], 2), r["responses"], *spread])
        t.shown.append([r["label"] or "—", f"{r['average']:.2f}", str(r["responses"]), *map(str, spread)])
    return t


def _agents_table(throughput: list[dict]) -> Table:
    t = Table("agents", "Agent throughput", ["Agent", "First responses", "Inspections", "Resolved"])
    for r in throughput:
        name = (
            " ".join(p for p in (r["assignee__first_name"], r["assignee__last_name"]) if p) or r["assignee__username"]
        )
        t.rows.append([name, r["first_responses"], r["inspections"], r["resolved"]])
        t.shown.append([name, str(r["first_responses"]), str(r["inspections"]), str(r["resolved"])])
    return t


def _prevention_table(problems: list[ProblemSku]) -> Table:
    t = Table(
        "prevention",
        "SKUs returned more than twice as often as their category",
        ["SKU", "Name", "Return rate", "Category rate", "Top reasons", "In the customers' words"],
    )
    for p in problems:
        reasons_text = "; ".join(f"{label} ({units})" for label, units in p.top_reasons)
        words = " / ".join(p.words)
        t.rows.append(
            [p.row.key, p.row.title, round(p.row.rate or 0, 4), round(p.category_rate, 4), reasons_text, words]
        )
        t.shown.append([p.row.key, p.row.title, _pct(p.row.rate), _pct(p.category_rate), reasons_text, words, p.fix])
    return t


def _serial_table(serial: list[dict], currency: str) -> Table:
    t = Table(
        "serial",
        f"Serial returners ({settings.SERIAL_RETURNER_RETURNS}+ returns in {settings.SERIAL_RETURNER_DAYS} days)",
        ["Email", "Returns", "Value asked back"],
    )
    for r in serial:
        t.rows.append([r["email"], r["returns"], r["value"]])
        t.shown.append([r["email"], str(r["returns"]), _money(r["value"], currency)])
    return t


def _summary(
    shown_categories: list[RateRow],
    category_rates: list[RateRow],
    *,
    weeks: list[dict],
    overall: dict,
    to_approve: dt.timedelta | None,
    to_resolve: dt.timedelta | None,
    currency: str,
) -> dict:
    """The figures in short, above the tables."""
    sold = sum(r.sold for r in shown_categories)
    returned = sum(r.returned for r in shown_categories)
    return {
        "return_rate": _pct(rates.rate_of(returned, sold)),
        "units_sold": sold,
        "units_returned": returned,
        "refunded": _money(sum(w["refunds"] for w in weeks), currency),
        "credit": _money(sum(w["store_credit"] for w in weeks), currency),
        "satisfaction": f"{overall['average']:.2f} / 5" if overall["average"] is not None else "—",
        "responses": overall["responses"],
        "to_approve": _duration(to_approve),
        "to_resolve": _duration(to_resolve),
        "categories": [r.key for r in category_rates],
    }
