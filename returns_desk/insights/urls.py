from django.urls import path

from .views import insights

app_name = "insights"

urlpatterns = [
    path("", insights, name="index"),
]
