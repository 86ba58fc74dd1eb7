"""Admin for returns: the state is read-only; transitions run as actions through the services."""

from django.contrib import admin, messages
from django.utils.html import format_html

from returns_desk.core.actors import Actor
from returns_desk.core.admin import ReadOnlyAdmin
from returns_desk.core.errors import ServiceError
from returns_desk.customers.models import CustomerFlag

from . import services
from .models import ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest, SurveyResponse
from .transition_words import TRANSITION_WORDS


class ReturnItemInline(admin.TabularInline):
    model = ReturnItem
    extra = 0
    can_delete = False
    fields = (
        "order_line",
        "quantity",
        "reason",
        "condition_description",
        "grade",
        "outcome",
        "disposition",
        "refundable_amount",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReturnEventInline(admin.TabularInline):
    model = ReturnEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor_kind", "actor_user", "transition", "from_state", "to_state", "body")
    readonly_fields = fields
    ordering = ["created_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _transition_action(action: str, service):
    """An admin action that runs `service` on each selected return and reports each refusal by RMA."""

    def run(modeladmin, request, queryset):
        done, refused = [], []
        for rr in queryset.order_by("pk"):
            try:
                service(return_request=rr, by=Actor.staff(request.user))
                done.append(rr.rma_number)
            except ServiceError as error:
                refused.append(f"{rr.rma_number}: {error}")
        if done:
            modeladmin.message_user(
                request, f"{TRANSITION_WORDS[action].label}: done for {', '.join(done)}.", messages.SUCCESS
            )
        for line in refused:
            modeladmin.message_user(request, line, messages.ERROR)

    run.__name__ = f"action_{action}"
    return admin.action(description=f"{TRANSITION_WORDS[action].label} selected returns")(run)


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ["rma_number", "status", "order", "email", "resolution", "quoted", "assignee", "created_at"]
    list_filter = ["status", "resolution", "priority", "returnless", "created_at"]
    search_fields = ["rma_number", "order__number", "email", "customer_name", "tracking_number"]
    list_select_related = ["order", "assignee"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "rma_number",
        "status",
        "order",
        "email",
        "customer_name",
        "resolution",
        "returnless",
        "currency",
        "quoted_amount",
        "refund_amount",
        "exchange_value",
        "requested_outcome",
        "requested_amount",
        "requested_reason",
        "requested_by",
        "terms",
        "rejection_reason",
        "tracking_carrier",
        "tracking_number",
        "created_at",
        "updated_at",
        "status_changed_at",
        "ticket_link",
    ]
    fields = ("ticket_link", *readonly_fields[:-1], "priority")
    inlines = [ReturnItemInline, ReturnEventInline]
    actions = [
        _transition_action("approve", services.return_approve),
        _transition_action("info_received", services.return_info_received),
        _transition_action("receive", services.return_receive),
        _transition_action("cancel", services.return_cancel),
        _transition_action("close", services.return_close),
    ]

    @admin.display(description="Quoted", ordering="quoted_amount")
    def quoted(self, obj):
        return obj.quoted_amount_display

    @admin.display(description="Ticket")
    def ticket_link(self, obj):
        return format_html('<a href="{}">Open the ticket page</a>', obj.get_absolute_url()) if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        """Priority is the one field staff edit here; it changes through its service, on the timeline."""
        if "priority" in form.changed_data:
            try:
                services.return_set_priority(
                    return_request=ReturnRequest.objects.get(pk=obj.pk),
                    priority=int(obj.priority),
                    by=Actor.staff(request.user),
                    note="Changed in admin.",
                )
            except ServiceError as error:
                self.message_user(request, str(error), messages.ERROR)

    def has_add_permission(self, request):
        return False  # returns are opened through the portal or return_create, with the policy checked

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReturnEvent)
class ReturnEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "return_request", "kind", "actor_kind", "actor_user", "transition", "to_state"]
    list_filter = ["kind", "actor_kind", "transition"]
    search_fields = ["return_request__rma_number", "body"]
    list_select_related = ["return_request", "actor_user"]


@admin.register(ReturnItem)
class ReturnItemAdmin(ReadOnlyAdmin):
    """Items are read here; inspection results change only through the inspect service."""

    list_display = ["return_request", "order_line", "quantity", "reason", "outcome", "disposition", "refundable_amount"]
    list_filter = ["outcome", "disposition", "grade", "reason"]
    search_fields = ["return_request__rma_number", "order_line__sku", "condition_description"]
    list_select_related = ["return_request", "order_line", "reason"]


@admin.register(ReturnPhoto)
class ReturnPhotoAdmin(ReadOnlyAdmin):
    """Customers' photos are evidence (inspections, disputes): shown, never changed or deleted here."""

    list_display = ["item", "image", "uploaded_at"]
    search_fields = ["item__return_request__rma_number"]
    list_select_related = ["item"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    """What customers said about the service; written only by the customer's status page."""

    list_display = ["return_request", "score", "created_at"]
    list_filter = ["score"]
    search_fields = ["return_request__rma_number", "comment"]
    list_select_related = ["return_request"]


@admin.register(CustomerFlag)
class CustomerFlagAdmin(admin.ModelAdmin):
    """Flags change through their service: each change is noted on the customer's open returns."""

    list_display = ["email", "kind", "note", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["email", "note"]
    fields = ["email", "kind", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    actions = ["remove_flags"]

    def get_readonly_fields(self, request, obj=None):
        # The email names the customer; a different customer is a new flag.
        return [*self.readonly_fields, "email"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        try:
            flag = services.customer_flag_set(
                email=obj.email, kind=obj.kind, note=obj.note, by=Actor.staff(request.user)
            )
        except ServiceError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.pk, obj.created_by, obj.created_at = flag.pk, flag.created_by, flag.created_at

    def delete_model(self, request, obj):
        services.customer_flag_clear(email=obj.email, by=Actor.staff(request.user))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would skip the timeline
        return actions

    @admin.action(description="Remove the selected flags (noted on their open returns)")
    def remove_flags(self, request, queryset):
        for email in queryset.values_list("email", flat=True):
            services.customer_flag_clear(email=email, by=Actor.staff(request.user))
