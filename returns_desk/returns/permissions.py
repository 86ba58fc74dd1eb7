"""Who may run which transition. Each check takes (return_request, actor) as django-fsm passes them.

django-fsm hands a permission whatever `has_perm` was given: the engine gives an `Actor`, where django-fsm's
type stubs name a user, so the checks take `actor: Any` and read it as an Actor.
"""

from typing import Any

from returns_desk.core.actors import Actor
from returns_desk.staff.roles import is_agent, is_manager


def staff(instance: Any, actor: Any) -> bool:
    return actor.kind == Actor.STAFF and is_agent(actor.user)


def manager(instance: Any, actor: Any) -> bool:
    return actor.kind == Actor.STAFF and is_manager(actor.user)


def staff_or_customer(instance: Any, actor: Any) -> bool:
    return actor.kind == Actor.CUSTOMER or staff(instance, actor)


def staff_customer_or_system(instance: Any, actor: Any) -> bool:
    return actor.kind in (Actor.CUSTOMER, Actor.SYSTEM) or staff(instance, actor)


def staff_or_system(instance: Any, actor: Any) -> bool:
    return actor.kind == Actor.SYSTEM or staff(instance, actor)


def system_only(instance: Any, actor: Any) -> bool:
    return actor.kind == Actor.SYSTEM


def payment_outcome(instance: Any, actor: Any) -> bool:
    """The provider (or the system reconciling with it), or a VA recording a manual refund's outcome."""
    return actor.kind in (Actor.SYSTEM, Actor.STRIPE) or staff(instance, actor)
