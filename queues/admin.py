"""Admin: read-mostly views of the queue. Changes go through the desk or the API, which use the
allocation service; editing tokens here would bypass its locks and rules."""

from django.contrib import admin

from config.readonly_admin import ReadOnlyAdmin
from queues.models import Category, Display, DoctorDay, QueueEvent, Token, WaitingListEntry


@admin.register(Token)
class TokenAdmin(ReadOnlyAdmin):
    list_display = ["token_label", "patient", "doctor", "day", "category", "status", "booked_at"]
    list_filter = ["status", "category", "day", "doctor"]
    search_fields = ["patient__name", "patient__phone", "token_label"]
    date_hierarchy = "day"
    list_select_related = ["patient", "doctor"]


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(ReadOnlyAdmin):
    list_display = ["waiting_label", "patient", "slot", "category", "status", "booked_at", "resolved_at"]
    list_filter = ["status", "category", "day"]
    search_fields = ["patient__name", "patient__phone"]
    list_select_related = ["patient", "slot__doctor"]


@admin.register(QueueEvent)
class QueueEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "slot", "token", "actor", "note"]
    list_filter = ["kind", "at"]
    search_fields = ["token__patient__name", "note"]
    list_select_related = ["slot__doctor", "token__patient", "actor"]


@admin.register(DoctorDay)
class DoctorDayAdmin(ReadOnlyAdmin):
    list_display = ["doctor", "day", "last_token_number", "last_waiting_number"]
    list_filter = ["day"]


@admin.register(Display)
class DisplayAdmin(admin.ModelAdmin):
    """Boards are managed at /displays/ (rotate and revoke push to open screens); the admin is
    for looking them up."""

    list_display = ["name", "department", "language", "chime", "speech", "active", "created_at"]
    list_filter = ["active", "language", "department"]
    search_fields = ["name"]
    filter_horizontal = ["doctors"]
    readonly_fields = ["key", "key_rotated_at", "created_at"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Hospital data: switch categories on and off, set their priority and whether they are
    checked in at booking. A token keeps the base priority it was booked with."""

    list_display = ["code", "name", "name_hi", "base_priority", "checked_in_at_booking", "active", "sort_order"]
    list_editable = ["base_priority", "checked_in_at_booking", "active", "sort_order"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # tokens keep the code they were booked with

    def has_delete_permission(self, request, obj=None):
        return False  # switch it off instead: past tokens and reports name it
