"""Desk tables (django-tables2): a slot's queue in serving order and its waiting list."""

import django_tables2 as tables
from django.utils import timezone


class _LocalTime(tables.Column):
    def render(self, value):
        return f"{timezone.localtime(value):%H:%M}"


class _Estimate(tables.Column):
    """The estimated call and the wait ("–" for a patient whose slot is over and who has not come)."""

    def render(self, value, record):
        return f"{timezone.localtime(value):%H:%M} (about {record.wait_minutes} min)"


class QueueTable(tables.Table):
    """A slot's tokens; positions and estimates are over the doctor's whole day."""

    position = tables.Column(verbose_name="Pos. (day)")
    token_label = tables.Column(verbose_name="Token")
    patient = tables.Column(accessor="patient__name", verbose_name="Patient")
    category = tables.Column(accessor="category_name", verbose_name="Category")
    status = tables.Column(accessor="get_status_display", verbose_name="Status")
    estimated_time = _Estimate(verbose_name="Est.")
    notices = tables.TemplateColumn(template_name="queues/desk_token_notices.html", verbose_name="Notices", orderable=False)
    actions = tables.TemplateColumn(template_name="queues/desk_token_actions.html", verbose_name="Actions")

    class Meta:
        orderable = False  # the serving order is the order
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-sm align-middle mb-0", "id": "queue-table"}
        empty_text = "Nobody booked yet."
        row_attrs = {"data-status": lambda record: record.status}


class WaitingTable(tables.Table):
    place = tables.Column(verbose_name="Place")
    waiting_label = tables.Column(verbose_name="No.")
    patient = tables.Column(accessor="patient__name", verbose_name="Patient")
    phone = tables.Column(accessor="patient__phone", verbose_name="Phone")
    category = tables.Column(accessor="category_name", verbose_name="Category")
    booked_at = _LocalTime(verbose_name="Since")
    actions = tables.TemplateColumn(template_name="queues/desk_waiting_actions.html", verbose_name="Actions")

    class Meta:
        orderable = False
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-sm align-middle mb-0", "id": "waiting-table"}
        empty_text = "Nobody on the waiting list."
