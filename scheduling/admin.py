from django.contrib import admin

from scheduling.models import Department, Doctor, Patient, Slot


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Doctor)
class DoctorAdmin(admin.ModelAdmin):
    list_display = ["name", "specialization", "department", "room", "user", "is_active"]
    list_filter = ["department", "is_active"]
    search_fields = ["name", "specialization", "room"]
    autocomplete_fields = ["user"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "hospital_number", "age", "sex", "created_at"]
    list_filter = ["sex"]
    search_fields = ["name", "phone", "hospital_number", "email"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "start_time", "end_time", "max_capacity", "status", "delay_minutes"]
    list_filter = ["status", "doctor", "start_time"]
    search_fields = ["doctor__name"]
    date_hierarchy = "start_time"
    # Capacity, delay and status change only through the allocation service (desk, API), which
    # takes the slot's lock and fills freed places from the waiting list.
    readonly_fields = ["status", "delay_minutes"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "doctor", "max_capacity"]
