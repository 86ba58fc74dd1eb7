"""The order a queue page is read in, written so that an index gives it without a sort step.

Whatever asked for the order (the queue's own, or the "Sort" the person chose), the page reads it as:

- a nullable key sorts its NULLs last whichever the direction (a return without a deadline never leads "by SLA";
  SQLite would put it first). The first nullable key is ordered `NULLS LAST`: PostgreSQL's index order, and
  SQLite (3.30 and later) reads an index in two passes for it. A later one is ordered by `key IS NULL` first, an
  expression its index holds, since neither database serves a second `NULLS LAST` from an index;
- the id breaks ties, newest first (unless the order names the id itself); the indexes end with the id in the
  direction the sort needs.

`returns.models.ReturnRequest.Meta.indexes` holds an index for each queue's order and each offered sort;
tests/desk/test_queue_sorts.py checks with EXPLAIN that no page query sorts.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.db.models.expressions import OrderBy

from returns_desk.returns.models import ReturnRequest

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Term:
    """One key of a page's order."""

    field: str
    descending: bool

    @property
    def nullable(self) -> bool:
        return self.field != "pk" and ReturnRequest._meta.get_field(self.field).null

    def expressions(self, *, later_nullable: bool = False) -> list[OrderBy]:
        """How the key is ordered in SQL (see the module's notes)."""
        column = F(self.field)
        if not self.nullable:
            return [column.desc() if self.descending else column.asc()]
        if later_nullable and not self.descending:
            return [is_null(self.field).asc(), column.asc()]
        return [column.desc(nulls_last=True) if self.descending else column.asc(nulls_last=True)]

    def equal(self, value) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})

    def beyond(self, value) -> Q:
        """The rows this key alone puts after `value`."""
        if value is None:
            return NOTHING  # NULLs come last: nothing follows one on this key
        after = Q(**{f"{self.field}__{'lt' if self.descending else 'gt'}": value})
        return after | Q(**{f"{self.field}__isnull": True}) if self.nullable else after


def is_null(field: str) -> ExpressionWrapper:
    """`field IS NULL`, as an ORDER BY key and as an index expression (the same SQL, so the index serves it)."""
    return ExpressionWrapper(Q(**{f"{field}__isnull": True}), output_field=BooleanField())


def _term(item) -> Term | None:
    if isinstance(item, str):
        return Term(item.removeprefix("-"), item.startswith("-"))
    if isinstance(item, OrderBy) and isinstance(item.expression, F):
        return Term(item.expression.name, item.descending)
    if isinstance(item, F):
        return Term(item.name, False)
    return None


def terms_for(ordering) -> list[Term]:
    """The keys of an order as the page reads it: the given keys up to the id, the id breaking ties (newest first
    unless the order says otherwise)."""
    terms = []
    for term in map(_term, ordering):
        if term is not None:
            terms.append(Term("pk", term.descending) if term.field == "id" else term)
            if terms[-1].field == "pk":
                return terms
    return [*terms, Term("pk", True)]


def order_by(terms: list[Term]) -> list[OrderBy]:
    """The SQL order of `terms`."""
    expressions, nullable_seen = [], False
    for term in terms:
        expressions.extend(term.expressions(later_nullable=nullable_seen))
        nullable_seen = nullable_seen or term.nullable
    return expressions


def page_order(ordering) -> list[OrderBy]:
    return order_by(terms_for(ordering))
