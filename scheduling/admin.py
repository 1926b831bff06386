from django import forms
from django.contrib import admin

from config.readonly_admin import ReadOnlyAdmin
from scheduling import patients, slots
from scheduling.errors import SchedulingError
from scheduling.models import Department, Doctor, Patient, PatientRecordEvent, Slot


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

    # Edits and deletions here are recorded like the API's (scheduling.patients).
    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        stored = Patient.objects.get(pk=obj.pk)
        patients.update_patient(patient=stored, fields={name: form.cleaned_data[name] for name in form.changed_data},
                                by=request.user, via="admin")

    def delete_model(self, request, obj):
        patients.delete_patient(patient=obj, by=request.user, via="admin")

    def delete_queryset(self, request, queryset):
        for patient in queryset:
            patients.delete_patient(patient=patient, by=request.user, via="admin")


@admin.register(PatientRecordEvent)
class PatientRecordEventAdmin(ReadOnlyAdmin):
    """The record of who edited, deleted or viewed a patient."""

    list_display = ["at", "kind", "patient_name", "actor_name", "via"]
    list_filter = ["kind", "via"]
    search_fields = ["patient_name", "actor_name", "=patient_id"]


class SlotAddForm(forms.ModelForm):
    """A new slot, checked by scheduling.slots under the doctor's lock. The admin validates and
    saves a form in one transaction, so the lock taken here still holds when the slot is saved."""

    class Meta:
        model = Slot
        fields = ["doctor", "start_time", "end_time", "max_capacity"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                slots.check_new_slot(doctor=data["doctor"], start_time=data["start_time"], end_time=data["end_time"],
                                     max_capacity=data["max_capacity"])
            except SchedulingError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "start_time", "end_time", "max_capacity", "status", "delay_minutes"]
    list_filter = ["status", "doctor", "start_time"]
    search_fields = ["doctor__name"]
    date_hierarchy = "start_time"
    # Capacity, delay and status change only through the allocation service (desk, API), which
    # takes the slot's lock and fills freed places from the waiting list. A slot's times are
    # fixed once it exists (its tokens' day and estimated times hang on them): cancel it and add
    # another.
    readonly_fields = ["status", "delay_minutes"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SlotAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*self.readonly_fields, "doctor", "start_time", "end_time", "max_capacity"]
