from django.urls import path

from notices import desk, views

app_name = "notices"

urlpatterns = [
    path("notices/hooks/whatsapp/", views.whatsapp_hook, name="hook-whatsapp"),
    path("notices/hooks/twilio/", views.twilio_hook, name="hook-twilio"),
    path("notices/hooks/sms/", views.sms_hook, name="hook-sms"),
    path("n/stop/<str:token>/", views.stop, name="stop"),
    path("desk/patients/<uuid:patient_id>/consent/", desk.desk_consent, name="desk-consent"),
]
