from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.index, name="index"),
    path("doctors/<uuid:doctor_id>/", views.doctor, name="doctor"),
    path("patterns/<int:pattern_id>/delete/", views.delete_pattern, name="delete-pattern"),
]
