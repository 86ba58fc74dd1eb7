"""Date arithmetic the database does itself.

Django's own duration arithmetic and TruncWeek call back into Python for every row on SQLite, which is
seconds at 100,000 returns; these compile to SQLite's built-in (C) date functions and to PostgreSQL's.
"""

from django.db.models import DateField, Func, IntegerField


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column (UTC)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() rather than strftime('%s'): a literal % does not survive every path of the SQLite backend.
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


class WeekStart(Func):
    """The Monday (UTC) of the week a datetime falls in."""

    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        # 'weekday 1' moves forward to the next Monday (or stays); then back a week unless it was a Monday.
        template = "date(%(expressions)s, '-6 days', 'weekday 1')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(date_trunc('week', %(expressions)s AT TIME ZONE 'UTC') AS date)"
        return self.as_sql(compiler, connection, template=template, **extra)
