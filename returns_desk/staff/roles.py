"""The desk's two roles (Django groups) and each person's refund limit."""

from returns_desk.policies.selectors import active_policy

from .models import StaffProfile

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
    limit = StaffProfile.objects.filter(user=user).values_list("refund_limit", flat=True).first()
    if limit is not None:
        return limit
    if default is not None:
        return default
    return active_policy().agent_refund_limit
