"""Who may run which transition. Each check takes (return_request, actor) as django-fsm passes them."""

from returns_desk.core.actors import Actor

AGENTS = "Agents"
MANAGERS = "Managers"


def _group_names(user) -> frozenset[str]:
    # Cached on the user object: a page that asks about many transitions asks the database once.
    cached = getattr(user, "_returns_desk_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True)) if user.pk else frozenset()
        user._returns_desk_groups = cached
    return cached


def is_manager(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or MANAGERS in _group_names(user)))


def is_agent(user) -> bool:
    """Agents and managers both work the desk."""
    return bool(user and user.is_active and (is_manager(user) or AGENTS in _group_names(user)))


def refund_limit_for(user, *, default: int | None = None) -> int:
    """The most (minor units) this user may give back without a manager's approval: their own limit, else
    `default` (the limit a return was quoted under), else the active policy's."""
    if is_manager(user):
        return 2**63 - 1
    from returns_desk.desk.models import StaffProfile

    limit = StaffProfile.objects.filter(user=user).values_list("refund_limit", flat=True).first()
    if limit is not None:
        return limit
    if default is not None:
        return default
    from returns_desk.policies.selectors import active_policy

    return active_policy().agent_refund_limit


def staff(instance, actor: Actor) -> bool:
    return actor.kind == Actor.STAFF and is_agent(actor.user)


def manager(instance, actor: Actor) -> bool:
    return actor.kind == Actor.STAFF and is_manager(actor.user)


def staff_or_customer(instance, actor: Actor) -> bool:
    return actor.kind == Actor.CUSTOMER or staff(instance, actor)


def staff_customer_or_system(instance, actor: Actor) -> bool:
    return actor.kind in (Actor.CUSTOMER, Actor.SYSTEM) or staff(instance, actor)


def staff_or_system(instance, actor: Actor) -> bool:
    return actor.kind == Actor.SYSTEM or staff(instance, actor)


def system_only(instance, actor: Actor) -> bool:
    return actor.kind == Actor.SYSTEM


def payment_outcome(instance, actor: Actor) -> bool:
    """The provider (or the system reconciling with it), or a VA recording a manual refund's outcome."""
    return actor.kind in (Actor.SYSTEM, Actor.STRIPE) or staff(instance, actor)
