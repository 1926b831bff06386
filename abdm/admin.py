from django.contrib import admin

from abdm.models import ProfileShare, RegistrationCounter


@admin.register(RegistrationCounter)
class RegistrationCounterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "created_at"]


@admin.register(ProfileShare)
class ProfileShareAdmin(admin.ModelAdmin):
    list_display = ["counter", "day", "token_number", "name", "abha_address", "patient", "token", "answered_at", "answer_attempts"]
    list_filter = ["counter", "day"]
    readonly_fields = [f.name for f in ProfileShare._meta.fields]
