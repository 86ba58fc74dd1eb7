"""/desk/insights/: the numbers that explain returns and prevent the next ones (managers)."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render

from returns_desk.core import csv_safe
from returns_desk.staff.access import managers_only

from . import report
from .forms import PeriodForm
from .queries.period import Period


@managers_only
def insights(request):
    default = Period.default()
    data = request.GET if request.GET.get("start") else None
    form = PeriodForm(data, initial={"start": default.start, "end": default.end})
    if form.is_bound and not form.is_valid():
        form.offer_categories([])
        return render(request, "insights/index.html", {"form": form, "report": None}, status=400)
    period = form.period() if form.is_bound else default
    built = report.cached(period, fresh=request.GET.get("fresh") == "1")
    form.offer_categories(built.summary["categories"])
    wanted = request.GET.get("export")
    if wanted:
        table = built.tables.get(wanted)
        if table is None:
            raise Http404("No such table.")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"{table.key}-{period.start}-{period.end}{'-' + period.category if period.category else ''}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv_safe.writer(response)  # a customer's words starting "=" are exported as text
        writer.writerow(table.headers)
        writer.writerows(table.rows)
        return response
    query = request.GET.copy()
    query.pop("export", None)
    query.pop("fresh", None)
    context = {
        "form": form,
        "report": built,
        "query": query.urlencode(),
        "cache_minutes": settings.INSIGHTS_CACHE_SECONDS // 60,
    }
    return render(request, "insights/index.html", context)
