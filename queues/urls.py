from django.urls import path

from queues.views import board, desk, displays, doctor, reports, schedule_day, slip, status

app_name = "queues"

urlpatterns = [
    # Reception desk
    path("desk/", desk.desk, name="desk"),
    path("desk/book/", desk.book, name="desk-book"),
    path("desk/booked/", desk.result, name="desk-result"),
    path("desk/patients/", desk.register_patient, name="desk-register"),
    path("desk/emergency/", desk.emergency, name="desk-emergency"),
    path("desk/tokens/<uuid:token_id>/check-in/", desk.check_in, name="desk-check-in"),
    path("desk/tokens/<uuid:token_id>/no-show/", desk.no_show, name="desk-no-show"),
    path("desk/tokens/<uuid:token_id>/reinstate/", desk.reinstate, name="desk-reinstate"),
    path("desk/tokens/<uuid:token_id>/cancel/", desk.cancel_token, name="desk-cancel-token"),
    path("desk/slots/<uuid:slot_id>/delay/", desk.delay, name="desk-delay"),
    path("desk/slots/<uuid:slot_id>/cancel/", desk.cancel_slot, name="desk-cancel-slot"),
    path("desk/waiting/<uuid:entry_id>/cancel/", desk.cancel_waiting, name="desk-cancel-waiting"),
    path("tokens/<uuid:token_id>/slip/", slip.slip, name="token-slip"),
    path("waiting/<uuid:entry_id>/slip/", slip.waiting_slip, name="waiting-slip"),
    # A patient's own status page (the slip's QR code), no login
    path("s/<str:code>/", status.status, name="status"),
    # A day's slots, edited by a manager (under /schedules/ with the rest of the schedule pages)
    path("schedules/day/", schedule_day.schedule_day, name="schedule-day"),
    path("schedules/slots/<uuid:slot_id>/capacity/", schedule_day.slot_capacity, name="slot-capacity"),
    path("schedules/slots/<uuid:slot_id>/delete/", schedule_day.slot_delete, name="slot-delete"),
    # Daily report
    path("reports/daily/", reports.daily_report, name="daily-report"),
    path("reports/daily/doctors.csv", reports.doctors_csv, name="daily-report-doctors-csv"),
    path("reports/daily/tokens.csv", reports.tokens_csv, name="daily-report-tokens-csv"),
    path("reports/daily/departments.csv", reports.departments_csv, name="daily-report-departments-csv"),
    # Doctor's live queue, waiting-room boards and their set-up
    path("doctor/", doctor.doctor_home, name="doctor"),
    path("doctor/<uuid:doctor_id>/", doctor.doctor_queue, name="doctor-queue"),
    path("doctor/<uuid:doctor_id>/call-next/", doctor.call_next, name="doctor-call-next"),
    path("doctor/<uuid:doctor_id>/delay/", doctor.set_delay, name="doctor-delay"),
    path("doctor/<uuid:doctor_id>/no-show/", doctor.row_no_show, name="doctor-no-show"),
    path("doctor/tokens/<uuid:token_id>/<slug:action>/", doctor.token_action, name="doctor-token-action"),
    path("board/<str:key>/", board.board, name="board"),
    path("displays/", displays.display_list, name="displays"),
    path("displays/<int:display_id>/", displays.display_edit, name="display-edit"),
    path("displays/<int:display_id>/rotate/", displays.display_rotate, name="display-rotate"),
    path("displays/<int:display_id>/revoke/", displays.display_revoke, name="display-revoke"),
]
