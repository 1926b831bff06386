from django.urls import path

from queues.views import board, displays, doctor

from queues.views import reports

app_name = "queues"

urlpatterns = [
    # Daily report
    path("reports/daily/", reports.daily_report, name="daily-report"),
    path("reports/daily/doctors.csv", reports.doctors_csv, name="daily-report-doctors-csv"),
    path("reports/daily/tokens.csv", reports.tokens_csv, name="daily-report-tokens-csv"),
    # Doctor's live queue, waiting-room boards and their set-up
    path("doctor/", doctor.doctor_home, name="doctor"),
    path("doctor/<uuid:doctor_id>/", doctor.doctor_queue, name="doctor-queue"),
    path("doctor/<uuid:doctor_id>/call-next/", doctor.call_next, name="doctor-call-next"),
    path("doctor/<uuid:doctor_id>/delay/", doctor.set_delay, name="doctor-delay"),
    path("doctor/tokens/<uuid:token_id>/<slug:action>/", doctor.token_action, name="doctor-token-action"),
    path("board/<str:key>/", board.board, name="board"),
    path("displays/", displays.display_list, name="displays"),
    path("displays/<int:display_id>/", displays.display_edit, name="display-edit"),
    path("displays/<int:display_id>/rotate/", displays.display_rotate, name="display-rotate"),
    path("displays/<int:display_id>/revoke/", displays.display_revoke, name="display-revoke"),
]
