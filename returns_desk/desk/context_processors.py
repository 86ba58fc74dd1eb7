from django.conf import settings
from django.utils.functional import SimpleLazyObject

from returns_desk.staff import roles


def desk_role(request):
    """`is_manager` / `is_desk_staff` for templates, asked of the database only when a template uses them;
    `stripe_test_mode` when refunds go to Stripe with a test key (the demo's local Stripe server, for one)."""
    user = request.user
    return {
        "shop_name": settings.SHOP_NAME,
        "stripe_test_mode": settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_")),
        "is_manager": SimpleLazyObject(lambda: roles.is_manager(user)),
        "is_desk_staff": SimpleLazyObject(lambda: roles.is_agent(user)),
    }
