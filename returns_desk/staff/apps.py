from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Who works the desk: the Agents and Managers roles, each person's refund limit, who may open which page."""

    name = "returns_desk.staff"
    verbose_name = "Staff"
