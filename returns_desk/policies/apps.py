from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "returns_desk.policies"
    verbose_name = "Return policy"
