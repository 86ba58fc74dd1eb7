from django.urls import path

from . import canned_views, customer_data_views, inbox_views, notice_views, ticket_nav_views, views

app_name = "desk"

urlpatterns = [
    path("", views.index, name="index"),
    path("bulk/", views.bulk, name="bulk"),
    path("returns/<int:pk>/", views.ticket, name="ticket"),
    path("returns/<int:pk>/claim/", views.claim, name="claim"),
    path("returns/<int:pk>/take-over/", ticket_nav_views.take_over, name="take-over"),
    path("returns/<int:pk>/next/", ticket_nav_views.next_ticket, name="next-ticket"),
    path("returns/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("returns/<int:pk>/action-form/<str:action>/", views.action_form, name="action-form"),
    path("returns/<int:pk>/reply/", views.reply, name="reply"),
    path("returns/<int:pk>/canned-preview/", canned_views.canned_preview, name="canned-preview"),
    path("returns/<int:pk>/documents/<str:kind>.pdf", views.ticket_document, name="ticket-document"),
    path("photos/<int:pk>.jpg", views.photo, name="photo"),
    path("disputes/", views.disputes, name="disputes"),
    path("disputes/<int:pk>/", views.dispute, name="dispute"),
    path("store-credit/", views.store_credit, name="store-credit"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/dismissed/", inbox_views.dismissed, name="inbox-dismissed"),
    path("inbox/<int:pk>/reply/", inbox_views.reply, name="inbox-reply"),
    path("inbox/<int:pk>/dismiss/", inbox_views.dismiss, name="inbox-dismiss"),
    path("inbox/<int:pk>/start-return/", inbox_views.start_return, name="inbox-start-return"),
    path("notices/", notice_views.notices, name="notices"),
    path("notices/bell/", notice_views.bell, name="bell"),
    path("notices/email/", notice_views.notice_email_choice, name="notice-email"),
    path("notices/<int:pk>/open/", notice_views.notice_open, name="notice-open"),
    # Customer data rights (managers): export everything held about an email, erase it.
    path("customer-data/", customer_data_views.customer_data, name="customer-data"),
    path("customer-data/export/", customer_data_views.customer_data_export, name="customer-data-export"),
    path("customer-data/erase/", customer_data_views.customer_data_erase, name="customer-data-erase"),
]
