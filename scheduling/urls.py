from django.urls import path

from scheduling import staff, views

app_name = "scheduling"

urlpatterns = [
    path("", views.index, name="index"),
    path("doctors/<uuid:doctor_id>/", views.doctor, name="doctor"),
    path("patterns/<int:pattern_id>/delete/", views.delete_pattern, name="delete-pattern"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/add/", staff.staff_add, name="staff-add"),
    path("staff/<int:user_id>/", staff.staff_edit, name="staff-edit"),
    path("staff/<int:user_id>/password/", staff.staff_password, name="staff-password"),
]
