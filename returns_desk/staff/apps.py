from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class StaffConfig(AppConfig):
    """Who works the desk: the Agents and Managers roles, each person's refund limit, who may open which page,
    and how they sign in (lockout, second factor)."""

    name = "returns_desk.staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from . import two_factor  # models are loaded only now

        user_logged_in.connect(two_factor.remember_on_sign_in, dispatch_uid="staff-remember-second-factor")
