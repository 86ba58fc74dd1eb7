"""Every path that gives money back is listed here, and each one is driven against the order's money rule.

Two halves, tied together:

* The code is read with `ast`: every place under `returns_desk/` that creates a money row — a `Refund`, a
  `StoreCredit` entry, a zero-priced replacement `Order` (or a call to `order_create_replacement`), or the
  `exchange_value` the rule counts for an exchange — is found and named by its outermost function. The set
  must equal `MONEY_SITES` + `NOT_MONEY`, so a new site fails the test until it is put through the rule and
  listed. Each money site must reach the gate (`money_rule.authorize`, or `money_rule.refusal` for the bulk
  seeder, directly or through a small wrapper such as `exchange_authorize`) *before* it writes, on the path
  leading to the write; a site with `gate="callers"` is checked at each of its call sites instead.
* Each public entry that reaches those sites is driven on an order where the rule leaves less room than is
  asked (a sibling return already refunded or credited, or a lost chargeback): it must be refused with the
  rule's words and write nothing. The same call without the squeeze succeeds (the control), so the refusal
  is the rule's and not some other check's.
"""

import ast
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from pathlib import Path

import pytest
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute, Refund, StoreCredit
from returns_desk.payments.money_rule import MoneyRuleRefused
from returns_desk.policies.models import ReasonCode
from returns_desk.returns import pricing
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory, UserFactory
from tests.factories import return_row_in_state as return_in_state  # figures set one by one, see below

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "returns_desk"

CREDIT_SERVICES = "returns_desk.payments.services.store_credit"
REFUND = "returns_desk.payments.models.Refund"
STORE_CREDIT = "returns_desk.payments.models.StoreCredit"
ORDER = "returns_desk.orders.models.Order"
REPLACEMENT = "returns_desk.orders.services.order_create_replacement"
MODELS = {REFUND: "Refund", STORE_CREDIT: "StoreCredit", ORDER: "Order"}
RELATED_MANAGERS = {"refunds": "Refund", "store_credits": "StoreCredit"}  # rr.refunds.create(...) and the like
CREATE_METHODS = {"create", "bulk_create", "get_or_create", "update_or_create"}
# The gate itself. Functions that call it, write no money and raise (or return its answer) are gates too.
GATE_ROOTS = {"returns_desk.payments.money_rule.authorize", "returns_desk.payments.money_rule.refusal"}
SWALLOWING = {"Exception", "BaseException", "ServiceError", "MoneyRuleRefused"}


@dataclass(frozen=True)
class Site:
    count: int
    gate: str  # "rule": the gate is reached before the write; "callers": checked where the function is called
    driven_by: tuple[str, ...]  # the behavioural cases below that go through this site


# Where money is given back. Key: (module:outermost function, what it writes).
MONEY_SITES: dict[tuple[str, str], Site] = {
    ("returns_desk.payments.services.refunds:refund_record_for_return", "Refund.objects.create"): Site(
        1,
        "rule",
        (
            "issue_refund",
            "retry_refund",
            "refund_without_return",
            "approve:refund",
            "approve:returnless",
            "settle:refund",
        ),
    ),
    (
        f"{CREDIT_SERVICES}:store_credit_issue_for_return",
        "StoreCredit.objects.create[issue]",
    ): Site(1, "rule", ("issue_store_credit", "approve:store_credit", "settle:store_credit")),
    ("returns_desk.payments.services.outcomes:ExchangeStep.apply", "order_create_replacement()"): Site(
        1, "rule", ("ship_exchange", "approve:exchange", "settle:exchange")
    ),
    ("returns_desk.payments.services.outcomes:ExchangeStep.apply", ".exchange_value ="): Site(
        1, "rule", ("ship_exchange", "approve:exchange", "settle:exchange")
    ),
    ("returns_desk.orders.services:order_create_replacement", "Order.objects.create[amount_paid=0]"): Site(
        1, "callers", ("ship_exchange", "approve:exchange", "settle:exchange")
    ),
    # The demo seeder's bulk path: rows held in memory, the rule applied to the figures it holds.
    ("returns_desk.demo.shop.bulk:_write_chunk", "Refund()"): Site(1, "rule", ("demo_bulk:issue_refund",)),
    ("returns_desk.demo.shop.bulk:_write_chunk", "Refund.objects.bulk_create"): Site(
        1, "rule", ("demo_bulk:issue_refund",)
    ),
    ("returns_desk.demo.shop.bulk:_write_chunk", "StoreCredit()[issue]"): Site(
        1, "rule", ("demo_bulk:issue_store_credit",)
    ),
    ("returns_desk.demo.shop.bulk:_write_chunk", "StoreCredit.objects.bulk_create"): Site(
        1, "rule", ("demo_bulk:issue_store_credit",)
    ),
    ("returns_desk.demo.shop.bulk:_write_chunk", "Order()[amount_paid=0]"): Site(
        1, "rule", ("demo_bulk:ship_exchange",)
    ),
    ("returns_desk.demo.shop.bulk:_write_chunk", "Order.objects.bulk_create"): Site(
        1, "rule", ("demo_bulk:ship_exchange",)
    ),
    ("returns_desk.demo.shop.bulk:_write_chunk", ".exchange_value ="): Site(1, "rule", ("demo_bulk:ship_exchange",)),
}

# Creations of the same models that give nothing back, each with the reason it is not money given back.
NOT_MONEY: dict[tuple[str, str], tuple[int, str]] = {
    (f"{CREDIT_SERVICES}:store_credit_redeem", "StoreCredit.objects.create[redeem]"): (
        1,
        "a negative entry spending a code's own balance: the customer uses credit, nothing is given back",
    ),
    (f"{CREDIT_SERVICES}:store_credit_expire_due", "StoreCredit.objects.create[expire]"): (
        1,
        "a negative entry writing an expired balance off: it takes credit away, never gives any",
    ),
    ("returns_desk.payments.gateway:create_refund", ".refunds.create"): (
        1,
        "Stripe's API, phase two: sends a Refund row that already passed the rule (its amount and idempotency "
        "key, from the send_refund task); it writes no row and decides no amount",
    ),
    ("returns_desk.orders.services:_orders_locked", "Order.objects.bulk_create"): (
        1,
        "the shop's own orders, imported with what the customer paid (not zero-priced replacements)",
    ),
    ("returns_desk.orders.services:_orders_locked", "Order()"): (1, "the rows of that insert: the shop's paid orders"),
    ("returns_desk.demo.shop.catalogue:_customer_order", "Order()"): (1, "the demo shop's paid orders"),
    ("returns_desk.demo.shop.catalogue:build_shop", "Order.objects.bulk_create"): (1, "the demo shop's paid orders"),
    ("returns_desk.demo.shop.example:example_order", "Order.objects.create"): (
        1,
        "an example shop's paid orders (the bench's portal timing, the tests' shops)",
    ),
}


# --- reading the code -----------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


class Module:
    """One parsed module: parents of every node, and what each imported or defined name stands for."""

    def __init__(self, path: Path, *, name: str | None = None, source: str | None = None):
        self.path = path
        self.name = name or module_name(path)
        self.tree = ast.parse(source if source is not None else path.read_text(), filename=str(path))
        self.parent: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
        package = self.name if path.name == "__init__.py" else self.name.rpartition(".")[0]
        self.names: dict[str, str] = {}
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.names[node.name] = f"{self.name}.{node.name}"
        # Imports anywhere in the module (the services import inside functions to avoid cycles).
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names.setdefault(alias.asname, alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        self.names.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    self.names.setdefault(alias.asname or alias.name, f"{base}.{alias.name}")

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted name an expression stands for (`Refund.objects.create`, `money_rule.authorize`), if known."""
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def enclosing_functions(self, node: ast.AST) -> list[ast.AST]:
        """Function and class definitions around `node`, innermost first."""
        found = []
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
                found.append(node)
        return found

    def owner(self, node: ast.AST) -> str:
        """module:qualname of the outermost function holding `node` (its classes included in the name)."""
        defs = [d for d in self.enclosing_functions(node) if not isinstance(d, ast.Lambda)]
        outermost = max(
            (i for i, d in enumerate(defs) if isinstance(d, ast.FunctionDef | ast.AsyncFunctionDef)), default=None
        )
        if outermost is None:
            return f"{self.name}:<module>"
        return f"{self.name}:" + ".".join(d.name for d in reversed(defs[outermost:]))


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _detail(model: str, call: ast.Call) -> str:
    """What distinguishes one creation of a model from another, for the rule: the kind, a zero price."""
    if model == "StoreCredit":
        kind = _keyword(call, "kind")
        return f"[{kind.attr.lower()}]" if isinstance(kind, ast.Attribute) else "[kind?]"
    if model == "Order":
        paid = _keyword(call, "amount_paid")
        return "[amount_paid=0]" if isinstance(paid, ast.Constant) and paid.value == 0 else ""
    return ""


def creations(module: Module) -> list[tuple[str, str, ast.AST]]:
    """(owner, what, node) for every money-shaped write in a module."""
    found = []
    for node in ast.walk(module.tree):
        what = None
        if isinstance(node, ast.Call):
            target = module.resolve(node.func)
            func = node.func
            if target in MODELS:
                what = f"{MODELS[target]}(){_detail(MODELS[target], node)}"
            elif target == REPLACEMENT:
                what = "order_create_replacement()"
            elif isinstance(func, ast.Attribute) and func.attr in CREATE_METHODS:
                manager = func.value
                if isinstance(manager, ast.Attribute) and manager.attr == "objects":
                    model = MODELS.get(module.resolve(manager.value) or "")
                    if model:
                        detail = _detail(model, node) if func.attr != "bulk_create" else ""
                        what = f"{model}.objects.{func.attr}{detail}"
                elif isinstance(manager, ast.Attribute) and manager.attr in RELATED_MANAGERS:
                    model = RELATED_MANAGERS[manager.attr]
                    what = f".{manager.attr}.{func.attr}{_detail(model, node)}"
            if what is None and _keyword(node, "exchange_value") is not None:
                what = "exchange_value="
            if (
                what is None
                and isinstance(func, ast.Name)
                and func.id == "setattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "exchange_value"
            ):
                what = ".exchange_value ="
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            flat = [t for target in targets for t in ast.walk(target)]
            if any(isinstance(t, ast.Attribute) and t.attr == "exchange_value" for t in flat):
                what = ".exchange_value ="
        if what:
            found.append((module.owner(node), what, node))
    return found


def _calls_outside_nested_defs(node: ast.AST):
    """Calls in `node`, not those in functions defined inside it (they run only if called)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                stack.append(child)


class Code:
    """All modules of the project, and which functions are gates."""

    def __init__(self):
        self.modules = [Module(path) for path in source_files()]
        self.functions: dict[str, tuple[Module, ast.AST]] = {}
        for module in self.modules:
            for node in module.tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions[f"{module.name}.{node.name}"] = (module, node)
        self.sites = [site for module in self.modules for site in creations(module)]
        writers = {owner for owner, _, _ in self.sites}
        # Wrappers: a top-level function that calls a gate, writes no money itself and raises (or returns the
        # gate's answer) — `exchange_authorize`, the demo's `_refused`. Found by fixpoint, not listed by hand.
        self.gates = set(GATE_ROOTS)
        changed = True
        while changed:
            changed = False
            for name, (module, node) in self.functions.items():
                if name in self.gates or f"{module.name}:{node.name}" in writers:
                    continue
                gate_calls = [c for c in _calls_outside_nested_defs(node) if self.is_gate_call(module, c)]
                raises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
                returns_gate = any(isinstance(n, ast.Return) and n.value in gate_calls for n in ast.walk(node))
                if gate_calls and (raises or returns_gate):
                    self.gates.add(name)
                    changed = True

    def is_gate_call(self, module: Module, call: ast.Call) -> bool:
        target = module.resolve(call.func)
        if target not in self.gates:
            return False
        if target.endswith(".refusal") and isinstance(module.parent.get(call), ast.Expr):
            return False  # the rule's answer thrown away
        return not self._swallowed(module, call)

    @staticmethod
    def _swallowed(module: Module, call: ast.Call) -> bool:
        """Inside a `try` whose handler catches the refusal and does not raise again."""
        node = call
        while node in module.parent:
            parent = module.parent[node]
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return False
            if isinstance(parent, ast.Try) and node in parent.body:
                for handler in parent.handlers:
                    names = [module.resolve(t) or "" for t in _exception_types(handler.type)]
                    catches = handler.type is None or any(n.rsplit(".", 1)[-1] in SWALLOWING for n in names)
                    if catches and not any(isinstance(n, ast.Raise) for n in ast.walk(handler)):
                        return True
            node = parent
        return False

    def gated_before(self, module: Module, node: ast.AST) -> bool:
        """A gate call runs before `node` on the way to it: in a statement that precedes it (or precedes one
        of the statements holding it) in the same function. Branches are not followed: a gate inside an
        earlier `if` counts, which is good enough for the shapes this code has."""
        current = node
        while current in module.parent:
            parent = module.parent[current]
            for field in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(parent, field, None)
                if isinstance(block, list) and current in block:
                    for earlier in block[: block.index(current)]:
                        if any(self.is_gate_call(module, c) for c in _calls_outside_nested_defs(earlier)):
                            return True
            if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                return False
            current = parent
        return False

    def callers_of(self, dotted: str) -> list[tuple[Module, ast.Call]]:
        return [
            (module, node)
            for module in self.modules
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Call) and module.resolve(node.func) == dotted
        ]


def _exception_types(node: ast.expr | None) -> list[ast.expr]:
    if node is None:
        return []
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


@pytest.fixture(scope="module")
def code() -> Code:
    return Code()


def test_every_site_that_creates_money_is_listed(code):
    found = Counter((owner, what) for owner, what, _ in code.sites)
    listed = Counter({key: site.count for key, site in MONEY_SITES.items()})
    listed.update({key: count for key, (count, _) in NOT_MONEY.items()})
    where = {
        (owner, what): f"{Path(m.path).relative_to(ROOT)}:{n.lineno}"
        for m in code.modules
        for owner, what, n in creations(m)
    }
    new = {key: f"{count}x at {where[key]}" for key, count in (found - listed).items()}
    gone = dict(listed - found)
    assert not new, (
        f"New place(s) that create money rows: {new}. Put each through the order's money rule "
        "(money_rule.authorize under the order's lock, or money_rule.refusal for a bulk writer) and add it to the "
        "money rule and to this list (MONEY_SITES, with the behavioural case that drives it; or NOT_MONEY with "
        "the reason it gives nothing back)."
    )
    assert not gone, f"Listed here but no longer in the code (moved or renamed?): {gone}. Update the lists."


def test_the_gate_and_its_wrappers_are_found(code):
    assert GATE_ROOTS.issubset(code.gates) and len(code.gates) > len(GATE_ROOTS)
    assert (
        "returns_desk.payments.services.store_credit.exchange_authorize" in code.gates
    )  # `return money_rule.authorize(...)`


SNIPPETS = {
    "ungated": ("def f(rr):\n    Refund.objects.create(amount=1)\n", False),
    "gated": ("def f(rr):\n    money_rule.authorize(return_request=rr)\n    Refund.objects.create(amount=1)\n", True),
    "gate_after_the_write": (
        "def f(rr):\n    Refund.objects.create(amount=1)\n    money_rule.authorize(return_request=rr)\n",
        False,
    ),
    "gate_swallowed": (
        "def f(rr):\n    try:\n        money_rule.authorize(return_request=rr)\n"
        "    except money_rule.MoneyRuleRefused:\n        pass\n    Refund.objects.create(amount=1)\n",
        False,
    ),
    "gate_caught_and_raised_again": (
        "def f(rr):\n    try:\n        money_rule.authorize(return_request=rr)\n"
        "    except ServiceError:\n        log()\n        raise\n    Refund.objects.create(amount=1)\n",
        True,
    ),
    "refusal_ignored": (
        "def f(p):\n    money_rule.refusal(p, 1)\n    rows.append(R(amount=1))\n",
        False,
    ),
    "refusal_heeded": (
        "def f(p):\n    if money_rule.refusal(p, 1):\n        raise X\n    rows.append(R(amount=1))\n",
        True,
    ),
    "gate_in_another_function": (
        "def g(rr):\n    money_rule.authorize(return_request=rr)\n\ndef f(rr):\n    R.objects.create(amount=1)\n",
        False,
    ),
    "nested_apply_gated_inside": (
        "def outer(by):\n    def apply(rr):\n        exchange_authorize(return_request=rr)\n"
        "        order_create_replacement(original=rr.order)\n    return apply\n",
        True,
    ),
    "related_manager_and_aliases": (
        "def f(rr):\n    rr.store_credits.create(kind=StoreCredit.Kind.ISSUE, amount=1)\n"
        "    R.objects.bulk_create([R(amount=1)])\n    rr.exchange_order, rr.exchange_value = o, 1\n",
        False,
    ),
}
HEADER = (
    "from returns_desk.payments import money_rule\n"
    "from returns_desk.payments.models import Refund, StoreCredit, Refund as R\n"
    "from returns_desk.payments.services.store_credit import exchange_authorize\n"
    "from returns_desk.orders.services import order_create_replacement\n"
    "from returns_desk.core.errors import ServiceError\n"
)


@pytest.mark.parametrize("snippet", sorted(SNIPPETS))
def test_the_reader_tells_a_gated_write_from_an_ungated_one(code, snippet):
    """The static check itself, on small pieces of code: it must see every write and the gate only when the
    gate really runs first."""
    text, gated = SNIPPETS[snippet]
    module = Module(ROOT / "snippet.py", name="snippet", source=HEADER + text)
    found = creations(module)
    assert found, "the write was not seen"
    assert all(code.gated_before(module, node) is gated for _, _, node in found), [
        (what, code.gated_before(module, node)) for _, what, node in found
    ]
    if snippet == "related_manager_and_aliases":
        assert sorted(what for _, what, _ in found) == [
            ".exchange_value =",
            ".store_credits.create[issue]",
            "Refund()",
            "Refund.objects.bulk_create",
        ]
        assert {owner for owner, _, _ in found} == {"snippet:f"}
    if snippet == "nested_apply_gated_inside":
        assert [owner for owner, _, _ in found] == ["snippet:outer"]


@pytest.mark.parametrize("key", sorted(MONEY_SITES), ids=lambda key: f"{key[0].split(':')[1]}-{key[1]}")
def test_each_money_site_passes_the_rule_before_it_writes(code, key):
    owner, what = key
    nodes = [(m, n) for m in code.modules for o, w, n in creations(m) if (o, w) == key]
    assert nodes, f"{owner} no longer writes {what}"
    site = MONEY_SITES[key]
    if site.gate == "rule":
        for module, node in nodes:
            assert code.gated_before(module, node), (
                f"{owner} writes {what} (line {node.lineno}) without passing the order's money rule first: call "
                "money_rule.authorize (or exchange_authorize / money_rule.refusal) before the write."
            )
        return
    function = owner.replace(":", ".")
    callers = code.callers_of(function)
    assert callers, f"{function} is never called: nothing passes the rule for it"
    for module, call in callers:
        assert (module.owner(call), "order_create_replacement()") in MONEY_SITES
        assert code.gated_before(module, call), (
            f"{module.owner(call)} calls {function} (line {call.lineno}) without passing the money rule first."
        )


# --- each path, driven against the rule -------------------------------------------------------------

PRICE = 1200  # $12.00: under the returnless threshold ($15.00), so every path can use the same figure
HALF = PRICE // 2
SQUEEZES = ("sibling_refunded", "sibling_credited", "chargeback_lost")
BANK = "BANK-1"


def _sibling(order: Order, how: str) -> None:
    """Another return of the same order that already took its money back."""
    sibling = return_in_state("resolved", unit_price=PRICE, order=order)
    if how == "sibling_refunded":
        Refund.objects.create(
            return_request=sibling,
            order=order,
            amount=PRICE,
            currency=order.currency,
            provider=Refund.Provider.MANUAL,
            provider_refund_id="BANK-0",
            idempotency_key=f"refund-{sibling.rma_number}-attempt-1",
            status=Refund.Status.SUCCEEDED,
        )
    else:  # credit: the base ($12.00) counts; the 10% bonus on top ($1.20) is the shop's gift, not counted
        StoreCredit.objects.create(
            email=order.email,
            kind=StoreCredit.Kind.ISSUE,
            amount=PRICE + PRICE // 10,
            bonus=PRICE // 10,
            currency=order.currency,
            code=f"SC-SIB{sibling.pk:06d}",
            return_request=sibling,
        )


def squeezed_order(squeeze: str | None) -> Order:
    """An order where the rule leaves $6.00 for a $12.00 line (or, without a squeeze, the whole $12.00).

    Siblings: the order paid $18.00 for two $12.00 lines (a discount); the other line's $12.00 already went
    back. Chargeback: paid $12.00, a lost dispute took $6.00."""
    if squeeze in ("sibling_refunded", "sibling_credited"):
        order = OrderFactory(amount_paid=PRICE + HALF, payment_reference="")
        _sibling(order, squeeze)
        return order
    order = OrderFactory(amount_paid=PRICE, payment_reference="")
    if squeeze == "chargeback_lost":
        Dispute.objects.create(
            order=order,
            stripe_dispute_id=f"dp_lost_{order.pk}",
            status=Dispute.Status.LOST,
            amount=HALF,
            currency=order.currency,
            funds_withdrawn=HALF,
        )
    return order


def _mine(state: str, order: Order, **fields) -> ReturnRequest:
    rr = return_in_state(state, unit_price=PRICE, order=order)
    if fields:
        ReturnRequest.objects.filter(pk=rr.pk).update(**fields)
        rr.refresh_from_db()
    return rr


def _failed_refund(rr: ReturnRequest) -> None:
    Refund.objects.create(
        return_request=rr,
        order=rr.order,
        amount=PRICE,
        currency=rr.currency,
        provider=Refund.Provider.MANUAL,
        idempotency_key=f"refund-{rr.rma_number}-attempt-1",
        status=Refund.Status.FAILED,
        failure_code="manual",
        failure_reason="The bank bounced it.",
    )


def _awaiting(outcome: str):
    """A return whose money request a VA made while there was room; the manager approves it later."""

    def build(order: Order) -> ReturnRequest:
        if outcome == "returnless":
            rr = _mine("approved", order)
            fields = {"requested_from": "approved", "returnless": False}
        else:
            rr = _mine("inspected", order)
            fields = {"requested_from": "inspected"}
        details = {"carrier": "UPS", "tracking_number": "1Z-APPROVED"} if outcome == "exchange" else {}
        ReturnRequest.objects.filter(pk=rr.pk).update(
            status="awaiting_approval",
            requested_outcome=outcome,
            requested_amount=PRICE,
            requested_reason="Customer is a regular.",
            requested_details=details,
            requested_at=timezone.now(),
            **fields,
        )
        rr.refresh_from_db()
        return rr

    return build


def _item_by_item(outcome: str):
    """A return whose items asked for outcomes of their own, inspected, its settlement all in `outcome`'s part
    (the other parts are driven by the other cases)."""

    def build(order: Order) -> ReturnRequest:
        rr = _mine("inspected", order, resolution="mixed", settlement_parts={outcome: PRICE})
        rr.items.update(resolution=outcome)
        return rr

    return build


def _retry(order: Order) -> ReturnRequest:
    rr = _mine("refund_failed", order)
    _failed_refund(rr)
    return rr


@dataclass(frozen=True)
class MoneyPath:
    build: object  # order -> the return to act on
    act: object  # (rr, agent, manager) -> None
    writes: dict  # what the control (no squeeze) adds, per model
    to_state: str  # where the control leaves the return
    what: str  # the rule's verb in its refusal: "Refusing to <what> $12.00"
    refusal: type = MoneyRuleRefused
    # Squeezes the path's own quote already caps (the quote deducts what the order gave back): as it is, it
    # gives back only what the rule leaves, and no amount can be typed in. It is driven past the rule with
    # its quote blinded to that, and the rule alone must refuse.
    self_limited: tuple[str, ...] = ()


def _ask(outcome: str, state: str):
    def build(order: Order) -> ReturnRequest:
        return _mine(state, order)

    def act(rr, agent, manager):
        payments.return_request_refund_approval(
            return_request=rr, by=agent, outcome=outcome, amount=PRICE, override_reason="Customer is a regular."
        )

    return build, act


PATHS: dict[str, MoneyPath] = {
    "issue_refund": MoneyPath(
        lambda order: _mine("inspected", order),
        lambda rr, agent, manager: payments.return_issue_refund(return_request=rr, by=manager, reference=BANK),
        {"Refund": 1},
        "refund_pending",
        "refund",
    ),
    "retry_refund": MoneyPath(
        _retry,
        lambda rr, agent, manager: payments.return_retry_refund(return_request=rr, by=manager, reference=BANK),
        {"Refund": 1},
        "refund_pending",
        "refund",
    ),
    "refund_without_return": MoneyPath(
        lambda order: _mine("approved", order),
        lambda rr, agent, manager: payments.return_refund_without_return(return_request=rr, by=manager, reference=BANK),
        {"Refund": 1},
        "refund_pending",
        "refund",
        self_limited=SQUEEZES,
    ),
    "issue_store_credit": MoneyPath(
        lambda order: _mine("inspected", order, resolution="store_credit"),
        lambda rr, agent, manager: payments.return_issue_store_credit(return_request=rr, by=manager),
        {"StoreCredit": 1},
        "resolved",
        "issue as store credit",
    ),
    "ship_exchange": MoneyPath(
        lambda order: _mine("inspected", order, resolution="exchange"),
        lambda rr, agent, manager: payments.return_ship_exchange(
            return_request=rr, by=manager, carrier="UPS", tracking_number="1Z-EXCHANGE"
        ),
        {"Order": 1, "OrderLine": 1},
        "resolved",
        "exchange for",
    ),
    **{
        f"settle:{outcome}": MoneyPath(
            _item_by_item(outcome),
            lambda rr, agent, manager: payments.return_settle(
                return_request=rr, by=manager, carrier="UPS", tracking_number="1Z-SETTLE", reference=BANK
            ),
            writes,
            state,
            what,
        )
        for outcome, writes, state, what in (
            ("refund", {"Refund": 1}, "refund_pending", "refund"),
            ("store_credit", {"StoreCredit": 1}, "resolved", "issue as store credit"),
            ("exchange", {"Order": 1, "OrderLine": 1}, "resolved", "exchange for"),
        )
    },
    **{
        f"ask:{outcome}": MoneyPath(
            *_ask(outcome, state),
            {},
            "awaiting_approval",
            f"ask for {label} of",
            ServiceError,  # refused before the request is recorded, in the rule's words
        )
        for outcome, state, label in (
            ("refund", "inspected", "refund"),
            ("store_credit", "inspected", "store credit"),
            ("exchange", "inspected", "exchange"),
            ("returnless", "approved", "refund without return"),
        )
    },
    **{
        f"approve:{outcome}": MoneyPath(
            _awaiting(outcome),
            lambda rr, agent, manager: payments.return_approve_refund(return_request=rr, by=manager, reference=BANK),
            writes,
            state,
            what,
        )
        for outcome, writes, state, what in (
            ("refund", {"Refund": 1}, "refund_pending", "refund"),
            ("returnless", {"Refund": 1}, "refund_pending", "refund"),
            ("store_credit", {"StoreCredit": 1}, "resolved", "issue as store credit"),
            ("exchange", {"Order": 1, "OrderLine": 1}, "resolved", "exchange for"),
        )
    },
}
TABLES = {
    "Refund": Refund,
    "StoreCredit": StoreCredit,
    "Order": Order,
    "OrderLine": OrderLine,
    "ReturnEvent": ReturnEvent,
    "Dispute": Dispute,
}


def snapshot(rr: ReturnRequest) -> dict:
    return {
        "rows": {name: model.objects.count() for name, model in TABLES.items()},
        "return": ReturnRequest.objects.filter(pk=rr.pk).values().get(),
        "stock": dict(Product.objects.values_list("sku", "stock")),
    }


def test_every_money_site_is_driven_by_a_case_below():
    cases = set(PATHS) | {f"demo_bulk:{outcome}" for outcome in DEMO_BULK_OUTCOMES}
    for key, site in MONEY_SITES.items():
        assert site.driven_by, key
        assert set(site.driven_by) <= cases, f"{key}: no behavioural case {set(site.driven_by) - cases}"


@pytest.fixture
def people(agent, manager):
    return Actor.staff(agent), Actor.staff(manager)


def blind_quotes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quotes that no longer see what the order already gave back (as they once saw only refunds)."""
    facts = pricing.order_facts
    monkeypatch.setattr(pricing, "order_facts", lambda order, **kw: dc_replace(facts(order, **kw), already_refunded=0))


@pytest.mark.parametrize("squeeze", SQUEEZES)
@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_path_is_refused_above_what_the_rule_leaves_and_writes_nothing(people, path, squeeze, monkeypatch):
    case = PATHS[path]
    rr = case.build(squeezed_order(squeeze))
    position = money_rule.position_for(rr)
    assert position.remaining == HALF, position  # the rule leaves $6.00 for this $12.00 return
    before = snapshot(rr)

    with monkeypatch.context() as patch:
        if squeeze in case.self_limited:
            blind_quotes(patch)  # else the path asks only for what is left: the rule must hold on its own
        with pytest.raises(case.refusal) as refused:
            case.act(rr, *people)

    message = str(refused.value)
    assert message.startswith(f"Refusing to {case.what} $12.00: only $6.00 can still be given back"), message
    assert "(order paid $" in message
    if squeeze == "chargeback_lost":
        assert "a chargeback took $6.00" in message
    assert snapshot(rr) == before, "a refused money path must write nothing"

    if squeeze in case.self_limited:  # as it is, the path's quote gives back exactly what the rule leaves
        case.act(rr, *people)
        assert Refund.objects.get(return_request=rr).amount == HALF
        after = money_rule.position_for(rr)
        assert (after.remaining, after.order_given) == (0, after.paid - after.withdrawn)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_path_goes_through_when_the_rule_leaves_room(people, path):
    """The control: the same call on an order with room succeeds and writes what the path writes."""
    case = PATHS[path]
    rr = case.build(squeezed_order(None))
    before = snapshot(rr)["rows"]

    case.act(rr, *people)

    after = snapshot(rr)["rows"]
    added = {name: after[name] - before[name] for name in TABLES if after[name] != before[name]}
    assert added == {**case.writes, "ReturnEvent": 1}
    rr.refresh_from_db()
    assert rr.status == case.to_state
    asked = path.startswith("ask:")
    assert money_rule.position_for(rr).return_given == (0 if asked else PRICE)
    if asked:
        assert (rr.requested_outcome, rr.requested_amount) == (path.split(":")[1], PRICE)


# --- the demo seeder's bulk writer ----------------------------------------------------------------

DEMO_BULK_OUTCOMES = {
    "issue_refund": ("refund", "refund"),
    "issue_store_credit": ("store_credit", "issue as store credit"),
    "ship_exchange": ("exchange", "exchange for"),
    "request_refund_approval": ("refund", "ask for refund of"),
}
UP_TO_INSPECTION = ["approve", "mark_in_transit", "receive", "inspect"]


def _bulk_plan(order: Order, line: OrderLine, outcome: str):
    from returns_desk.demo import shop as demo

    path = [*UP_TO_INSPECTION, outcome]
    start = timezone.now() - dt.timedelta(days=3)
    times = [start + dt.timedelta(hours=n) for n in range(len(path) + 1)]
    reason = ReasonCode.objects.get(code="damaged")
    resolution = DEMO_BULK_OUTCOMES[outcome][0]
    return demo.PlannedReturn(order, [(line, 1, reason)], "", path, times, resolution)


def _demo_staff() -> dict:
    return {
        name: UserFactory(username=f"demo-{name}", groups=["Managers" if name == "manager" else "Agents"])
        for name in ("agent", "ana", "ben", "manager")
    }


@pytest.mark.parametrize("paid", [10000, 15000], ids=["discounted", "paid_in_full"])
@pytest.mark.parametrize("outcome", sorted(DEMO_BULK_OUTCOMES))
def test_the_demo_bulk_writer_refuses_what_the_rule_refuses_and_writes_nothing(reference_data, outcome, paid):
    """Two returns of one order ($80 and $70 of lines): the first is refunded $80. When the order paid
    $100 the second's $70 is refused (only $20 remains) and the whole batch is written by no one; paid in
    full, both go through."""
    from returns_desk.demo import shop as demo

    order = OrderFactory(amount_paid=paid, payment_reference="")
    first = OrderLineFactory(order=order, unit_price=8000)
    second = OrderLineFactory(order=order, unit_price=7000)
    planned = [_bulk_plan(order, first, "issue_refund"), _bulk_plan(order, second, outcome)]
    staff = _demo_staff()
    before = {name: model.objects.count() for name, model in TABLES.items()}

    if paid == 15000:
        assert demo.seed_bulk(random.Random(1), planned, staff) == 2
        for rr in ReturnRequest.objects.filter(order=order):
            position = money_rule.position_for(rr)
            assert position.order_given <= min(position.paid, position.order_lines_returned)
        assert Refund.objects.filter(order=order).count() == 1 + (outcome == "issue_refund")
        assert StoreCredit.objects.filter(return_request__order=order).count() == (outcome == "issue_store_credit")
        assert Order.objects.filter(number__startswith=f"{order.number}-X").count() == (outcome == "ship_exchange")
        return

    with pytest.raises(MoneyRuleRefused) as refused:
        demo.seed_bulk(random.Random(1), planned, staff)
    what = DEMO_BULK_OUTCOMES[outcome][1]
    assert f"Refusing to {what} $70.00: only $20.00 can still be given back" in str(refused.value)
    assert {name: model.objects.count() for name, model in TABLES.items()} == before
    assert not ReturnRequest.objects.filter(order=order).exists()


def test_the_rule_the_bulk_path_applies_refuses_the_over_amount():
    """`money_rule.refusal` on the figures the bulk path holds: $100 paid, $80 already back, $70 asked."""
    position = money_rule.MoneyPosition(
        currency="USD",
        paid=10000,
        withdrawn=0,
        order_lines_returned=15000,
        order_given=8000,
        return_lines_returned=7000,
        return_refunds=0,
        return_credit=0,
        return_exchange=0,
    )
    assert money_rule.refusal(position, 2000) is None
    assert money_rule.refusal(position, 2001, what="refund") == (
        "Refusing to refund $20.01: only $20.00 can still be given back for this return (order paid $100.00)."
    )
