"""The printable daily report (Manager role): the page, and its two CSV downloads.

Thin views: parse the filters, ask queues.reports for the figures, render. A malformed date or an
unknown doctor re-renders the page with the reason (status 400), never a 500.
"""

import csv
import itertools
import re

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from config.permissions import role_required
from queues import categories, reports, svg
from queues.report_forms import ReportFilterForm
from queues.report_tables import DoctorReportTable, minutes, percent
from scheduling.roles import VIEW_REPORTS

PAGE = "queues/reports/daily.html"


def _filters(request):
    """(form, query) where query holds day, doctor_id and department_id, or None if invalid."""
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, {
        "day": data["date"] or timezone.localdate(),
        "doctor_id": data["doctor"].pk if data["doctor"] else None,
        "department_id": data["department"].pk if data["department"] else None,
    }


@role_required(VIEW_REPORTS)
def daily_report(request):
    form, query = _filters(request)
    context = {"form": form, "nav": "reports"}
    if query is None:
        return render(request, PAGE, context, status=400)
    report = reports.daily_report(**query)
    headline, times = report["headline"], report["times"]
    context.update(
        report=report,
        day=query["day"],
        filters=form.describe(),
        query_string=request.GET.urlencode(),
        generated_at=timezone.localtime(),
        is_future=query["day"] > timezone.localdate(),
        no_show_rate=percent(headline["no_show_rate"]),
        utilisation=percent(headline["utilisation"]),
        times=[
            (label, {k: minutes(v) if k != "count" else v for k, v in times[name].items()})
            for name, label in (("waiting", "Waiting (checked in → called)"),
                                ("consultation", "Consultation (called → completed)"))
        ],
        table=DoctorReportTable(report),
        census=census_rows(report),
        age_bands=[label for label, _, _ in reports.AGE_BANDS],
        hour_chart=svg.hour_chart(report["hours"]),
        category_chart=svg.category_chart(
            [(categories.label(c), n) for c, n in report["by_category"].items()]
        ),
    )
    return render(request, PAGE, context)


# A spreadsheet runs a cell that starts with one of these as a formula: a patient registered as
# '=HYPERLINK(...)' or a typed cancel reason must open as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _as_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.match(value):
        return "'" + value
    return value


def _csv_response(rows, filename: str) -> HttpResponse:
    # Built in memory: a day's tokens are a few megabytes at most, and a plain response needs no
    # database access after the view returns (which streaming under ASGI would).
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # a byte-order mark, so Excel reads UTF-8 (Hindi names) correctly
    csv.writer(response).writerows([_as_text(cell) for cell in row] for row in rows)
    return response


def _bad_filters(form) -> HttpResponse:
    reasons = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
    return HttpResponse(f"Bad report filters. {reasons}\n", status=400, content_type="text/plain; charset=utf-8")


@role_required(VIEW_REPORTS)
def doctors_csv(request):
    """The per-doctor table as CSV: the page's columns, durations in minutes, one row per doctor."""
    form, query = _filters(request)
    if query is None:
        return _bad_filters(form)
    report = reports.daily_report(**query)
    rows = DoctorReportTable(report).as_values()
    return _csv_response(rows, f"opd-report-{query['day']}-doctors.csv")


CENSUS_HEADER = ["department", "patients", "new", "repeat", "male", "female", "other", "sex_not_recorded",
                 *[f"age_{label}" for label, _, _ in reports.AGE_BANDS], "age_not_recorded"]


def census_rows(report: dict) -> list[list]:
    """The patient census as table rows: one per department, then everyone's (each patient once)."""
    def cells(name, row):
        return [name, row["patients"], row["new"], row["repeat"], *row["sex"].values(), *row["age_bands"].values()]
    return [cells(d["department"], d) for d in report["departments"]] + [cells("All departments", report["patients"])]


@role_required(VIEW_REPORTS)
def departments_csv(request):
    """New and repeat patients, sex and age bands per department (the government OPD figures)."""
    form, query = _filters(request)
    if query is None:
        return _bad_filters(form)
    rows = census_rows(reports.daily_report(**query))
    return _csv_response([CENSUS_HEADER, *rows], f"opd-report-{query['day']}-departments.csv")


TIMESTAMPS = ("slot__start_time", "slot__end_time", "booked_at", "first_estimate", "arrived_at", "called_at", "completed_at",
              "cancelled_at", "no_show_at")
# CSV header -> field of queues.reports.TOKEN_FIELDS.
TOKEN_COLUMNS = {
    "day": "day", "doctor": "doctor__name", "department": "doctor__department__name", "room": "doctor__room",
    "slot_start": "slot__start_time", "slot_end": "slot__end_time", "token_number": "token_number",
    "token_label": "token_label",
    "patient": "patient__name", "hospital_number": "patient__hospital_number", "category": "category",
    "status": "status", "booked_at": "booked_at", "first_estimate": "first_estimate", "arrived_at": "arrived_at",
    "called_at": "called_at",
    "completed_at": "completed_at", "cancelled_at": "cancelled_at", "no_show_at": "no_show_at",
}


def _minutes_between(start, end):
    return round((end - start).total_seconds() / 60, 1) if start and end else ""


def _token_row(token: dict, tz) -> list:
    waiting = _minutes_between(token["arrived_at"], token["called_at"])
    consultation = _minutes_between(token["called_at"], token["completed_at"])
    for field in TIMESTAMPS:  # the hospital's local time, as ISO 8601 with its offset
        if token[field]:
            token[field] = token[field].astimezone(tz).isoformat(timespec="seconds")
    cells = [token[field] if token[field] is not None else "" for field in TOKEN_COLUMNS.values()]
    visit = ["new" if token["new_to_hospital"] else "repeat", "new" if token["new_to_department"] else "repeat"]
    return [*cells, waiting, consultation, token["cancel_reason"], *visit]


@role_required(VIEW_REPORTS)
def tokens_csv(request):
    """Every token of the day, one row each with all its timestamps (hospital's local time)."""
    form, query = _filters(request)
    if query is None:
        return _bad_filters(form)
    tz = timezone.get_current_timezone()
    tokens = reports.day_tokens(**query).iterator(chunk_size=2000)
    header = [*TOKEN_COLUMNS, "waiting_minutes", "consultation_minutes", "cancel_reason", "visit_to_hospital", "visit_to_department"]
    rows = (_token_row(t, tz) for t in tokens)
    return _csv_response(itertools.chain([header], rows), f"opd-report-{query['day']}-tokens.csv")
