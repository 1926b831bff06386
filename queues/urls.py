from django.urls import path

from queues.views import reports

app_name = "queues"

urlpatterns = [
    # Daily report
    path("reports/daily/", reports.daily_report, name="daily-report"),
    path("reports/daily/doctors.csv", reports.doctors_csv, name="daily-report-doctors-csv"),
    path("reports/daily/tokens.csv", reports.tokens_csv, name="daily-report-tokens-csv"),
]
