"""Signing in with a second factor, and each person's own sign-in page (under /accounts/)."""

from django.urls import path

from . import views

app_name = "account"

urlpatterns = [
    path("two-factor/", views.verify, name="verify"),
    path("two-factor/set-up/", views.enrol, name="enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("sign-in/", views.security, name="security"),
    path("sign-in/new-recovery-codes/", views.new_recovery_codes, name="new-recovery-codes"),
    path("sign-in/turn-off-two-factor/", views.turn_off, name="turn-off"),
]
