from django.urls import path

from returns_desk.notifications.views import inbound_email_webhook
from returns_desk.orders.webhooks import orders_webhook

from .webhooks import stripe_webhook

urlpatterns = [
    path("stripe/", stripe_webhook, name="stripe-webhook"),
    path("inbound-email/", inbound_email_webhook, name="inbound-email-webhook"),
    path("orders/", orders_webhook, name="orders-webhook"),
]
