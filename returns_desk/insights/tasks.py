"""Keep the default insights report (the last 90 days, all categories) worked out, so managers open it at once."""

from . import report
from .queries.period import Period


def warm_insights() -> str:
    built = report.cached(Period.default(), fresh=True)
    return f"insights for {built.period.start}..{built.period.end} worked out"
