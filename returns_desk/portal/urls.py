from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/documents/<str:kind>.pdf", views.document, name="document"),
]
