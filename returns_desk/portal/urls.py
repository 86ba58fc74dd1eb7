from django.urls import path

from .views import new_return, order_lookup, orders_link, return_status, status_actions

app_name = "portal"

urlpatterns = [
    path("", order_lookup.start, name="start"),
    path("orders/link/", orders_link.request_link, name="orders_link"),
    path("orders/link/sent/", orders_link.link_sent, name="orders_link_sent"),
    path("orders/<str:token>/", orders_link.orders, name="orders"),
    path("orders/<str:token>/start/", orders_link.start_return, name="orders_start"),
    path("new/items/", new_return.items, name="items"),
    path("new/outcome/", new_return.outcome, name="outcome"),
    path("new/review/", new_return.review, name="review"),
    path("status/<str:token>/", return_status.status, name="status"),
    path("status/<str:token>/shipped/", status_actions.shipped, name="shipped"),
    path("status/<str:token>/message/", status_actions.message, name="message"),
    path("status/<str:token>/photos/", status_actions.photos, name="photos"),
    path("status/<str:token>/cancel/", status_actions.cancel, name="cancel"),
    path("status/<str:token>/survey/", status_actions.survey, name="survey"),
    path("status/<str:token>/photos/<int:photo_id>.jpg", return_status.photo, name="photo"),
    path("status/<str:token>/documents/<str:kind>.pdf", return_status.document, name="document"),
]
