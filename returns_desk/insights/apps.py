from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "returns_desk.insights"
    verbose_name = "Insights"
