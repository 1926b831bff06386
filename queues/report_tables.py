"""The daily report's per-doctor table (django-tables2), shown on the page and downloaded as CSV.
Rows are the `doctors` entries of queues.reports.daily_report; totals come from its headline."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html

from queues.models import Category

NOT_ENOUGH_DATA = "n/d"
SHORT_CATEGORY = {
    Category.EMERGENCY: "Emerg.",
    Category.PRIORITY_PAID: "Paid",
    Category.FOLLOWUP: "Follow-up",
    Category.ONLINE: "Online",
    Category.WALKIN: "Walk-in",
}


def minutes(seconds: float | None) -> str:
    """A duration in seconds as minutes for people, or "n/d" (not enough data)."""
    return NOT_ENOUGH_DATA if seconds is None else f"{seconds / 60:.1f}"


def percent(fraction: float | None) -> str:
    return NOT_ENOUGH_DATA if fraction is None else f"{fraction * 100:.0f}%"


def _error(value: float | None) -> str:
    """The estimate's median absolute error in minutes ("n/d" before anyone was called)."""
    return NOT_ENOUGH_DATA if value is None else f"{value:.1f}"


class CountColumn(tables.Column):
    """A count, right-aligned, whose footer is the figure for everyone (from the headline)."""

    def __init__(self, *args, total=None, **kwargs):
        self.total = total
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render_footer(self, bound_column, table):
        return table.totals.get(self.total, "") if self.total else ""


class DurationColumn(CountColumn):
    """A duration in seconds, shown in minutes; the footer is everyone's figure, not a sum."""

    def render(self, value):
        return minutes(value)

    def value(self, value):
        return None if value is None else round(value / 60, 1)


class DoctorReportTable(tables.Table):
    doctor_name = tables.Column("Doctor", footer="All doctors", attrs={"td": {"class": "doctor"}})
    slots = CountColumn("Slots", total="slots")
    capacity = CountColumn("Capacity", total="capacity")
    emergency = CountColumn(SHORT_CATEGORY[Category.EMERGENCY], accessor="by_category__EMERGENCY", total=Category.EMERGENCY)
    priority_paid = CountColumn(SHORT_CATEGORY[Category.PRIORITY_PAID], accessor="by_category__PRIORITY_PAID", total=Category.PRIORITY_PAID)
    followup = CountColumn(SHORT_CATEGORY[Category.FOLLOWUP], accessor="by_category__FOLLOWUP", total=Category.FOLLOWUP)
    online = CountColumn(SHORT_CATEGORY[Category.ONLINE], accessor="by_category__ONLINE", total=Category.ONLINE)
    walkin = CountColumn(SHORT_CATEGORY[Category.WALKIN], accessor="by_category__WALKIN", total=Category.WALKIN)
    booked = CountColumn("Booked", total="booked")
    seen = CountColumn("Seen", total="seen")
    no_shows = CountColumn("No-shows", total="no_shows")
    cancelled = CountColumn("Cancelled", total="cancelled")
    utilisation = CountColumn("Util.", total="utilisation_text")
    waiting = DurationColumn("Median wait (min)", accessor="times__waiting__median", total="waiting_median")
    consultation = DurationColumn(
        "Median consult. (min)", accessor="times__consultation__median", total="consultation_median"
    )
    delay_minutes = CountColumn("Delay (min)", total="delay_minutes")
    estimate_error = CountColumn(
        "Est. error (min)", accessor="estimate_error__median_abs_error_minutes", total="estimate_error_text",
    )

    class Meta:
        template_name = "django_tables2/bootstrap5.html"
        orderable = False
        attrs = {"class": "table table-sm table-striped report-table", "id": "doctor-table"}
        empty_text = "No doctor had slots or bookings on this day."

    def __init__(self, report: dict, **kwargs):
        super().__init__(report["doctors"], **kwargs)
        headline = report["headline"]
        self.totals = {
            **headline,
            **report["by_category"],
            "utilisation_text": percent(headline["utilisation"]),
            "waiting_median": minutes(report["times"]["waiting"]["median"]),
            "consultation_median": minutes(report["times"]["consultation"]["median"]),
            "estimate_error_text": _error(report["estimate_error"]["median_abs_error_minutes"]),
        }

    def render_estimate_error(self, value):
        return _error(value)

    def render_doctor_name(self, value, record):
        if record["department"]:
            return format_html('{} <span class="dept">{}</span>', value, record["department"])
        return value

    def value_doctor_name(self, value):
        return value

    def render_utilisation(self, value):
        return percent(value)

    def value_utilisation(self, value):
        return None if value is None else round(value * 100, 1)
