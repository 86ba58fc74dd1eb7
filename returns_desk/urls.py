from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from returns_desk.core.metrics import metrics
from returns_desk.core.views import favicon, healthz
from returns_desk.notifications.views import inbound_email_webhook
from returns_desk.orders.webhooks import orders_webhook
from returns_desk.payments.webhooks import stripe_webhook
from returns_desk.staff.views import StaffLoginView

urlpatterns = [
    # Pages that name no icon (the admin's) make browsers ask for this one.
    path("favicon.ico", favicon),
    path("", RedirectView.as_view(pattern_name="desk:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("desk/insights/", include("returns_desk.insights.urls")),  # a screen of its own, under the desk's address
    path("desk/", include("returns_desk.desk.urls")),
    path("returns/", include("returns_desk.portal.urls")),
    # Staff sign-in: the password (django-axes pauses a run of wrong ones), then the second factor (staff.views).
    path("accounts/login/", StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("returns_desk.staff.urls")),
    # Webhooks, each owned by the app that understands its sender.
    path("webhooks/stripe/", stripe_webhook, name="stripe-webhook"),
    path("webhooks/inbound-email/", inbound_email_webhook, name="inbound-email-webhook"),
    path("webhooks/orders/", orders_webhook, name="orders-webhook"),
    path("healthz/", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),  # Prometheus, behind METRICS_TOKEN (core.metrics)
]

handler404 = "returns_desk.core.views.page_not_found"
handler500 = "returns_desk.core.views.server_error"
