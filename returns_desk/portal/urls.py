from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("new/items/", views.items, name="items"),
    path("new/outcome/", views.outcome, name="outcome"),
    path("new/review/", views.review, name="review"),
    path("status/<str:token>/", views.status, name="status"),
    path("status/<str:token>/shipped/", views.shipped, name="shipped"),
    path("status/<str:token>/message/", views.message, name="message"),
    path("status/<str:token>/photos/", views.photos, name="photos"),
    path("status/<str:token>/cancel/", views.cancel, name="cancel"),
    path("status/<str:token>/survey/", views.survey, name="survey"),
    path("status/<str:token>/photos/<int:photo_id>.jpg", views.photo, name="photo"),
    path("status/<str:token>/documents/<str:kind>.pdf", views.document, name="document"),
]
