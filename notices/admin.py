from django.contrib import admin

from notices.models import Consent, Delivery
from queues.models import Notice


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["patient", "channel", "granted", "language", "how", "by", "at"]
    list_filter = ["channel", "granted", "how"]
    search_fields = ["patient__name", "patient__phone"]
    autocomplete_fields = ["patient"]
    readonly_fields = ["at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.by, obj.how = request.user, obj.how or Consent.How.ADMIN
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return False  # a decision is never edited: record a new one


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "state", "to", "provider", "provider_id", "reason", "attempts", "sent_at", "delivered_at", "body"]
    readonly_fields = fields


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "token", "waiting_entry", "state", "attempts", "not_before"]
    list_filter = ["state", "kind"]
    search_fields = ["token__token_label", "patient__name", "patient__phone"]
    readonly_fields = [f.name for f in Notice._meta.fields]
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "state", "to", "provider", "reason", "attempts"]
    list_filter = ["state", "channel", "provider"]
    search_fields = ["to", "provider_id"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False
