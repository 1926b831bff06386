"""Manager lists (django-tables2)."""

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from scheduling.forms import STAFF_ROLE_CHOICES
from scheduling.models import Department, Doctor


class DoctorTable(tables.Table):
    name = tables.LinkColumn("scheduling:doctor", args=[tables.A("pk")], verbose_name="Doctor")
    department = tables.Column(accessor="department__name", verbose_name="Department", default="—")
    room = tables.Column(default="—")
    is_active = tables.BooleanColumn(verbose_name="Active", yesno="Yes,No")

    class Meta:
        model = Doctor
        fields = ["name", "specialization", "department", "room", "is_active"]
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-sm align-middle", "id": "doctors-table"}
        per_page = 15
        empty_text = "No doctors yet: add the first one."


def _styled(form):
    """Bootstrap's classes on a filter form's fields, like the rest of the page's controls."""
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-select" if isinstance(field.widget, forms.Select) else "form-control")


class DoctorFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name")
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), empty_label="All departments")
    is_active = django_filters.BooleanFilter(
        label="Active", widget=forms.Select(choices=[("", "Active or not"), ("true", "Active"), ("false", "Inactive")]),
    )

    class Meta:
        model = Doctor
        fields = ["name", "department", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self.form)


class StaffTable(tables.Table):
    """Staff logins. Superusers and admin-site accounts are listed but not linked: the admin keeps them."""

    username = tables.Column(verbose_name="Username")
    full_name = tables.Column(accessor="first_name", verbose_name="Full name", order_by=("first_name", "last_name"))
    roles = tables.Column(accessor="pk", verbose_name="Role", orderable=False)
    doctor = tables.Column(accessor="doctor__name", verbose_name="Linked doctor", default="—")
    is_active = tables.BooleanColumn(verbose_name="Active", yesno="Yes,No")
    last_login = tables.DateTimeColumn(verbose_name="Last login", format="Y-m-d H:i", default="Never")

    class Meta:
        model = get_user_model()
        fields = ["username", "full_name", "roles", "doctor", "is_active", "last_login"]
        template_name = "django_tables2/bootstrap5.html"
        attrs = {"class": "table table-sm align-middle", "id": "staff-table"}
        per_page = 20
        empty_text = "No staff login matches."

    def render_username(self, record, value):
        if record.is_superuser or record.is_staff:
            return format_html('{} <span class="text-body-secondary small">(admin)</span>', value)
        return format_html('<a href="{}">{}</a>', reverse("scheduling:staff-edit", args=[record.pk]), value)

    def render_full_name(self, record):
        return record.get_full_name() or "—"

    def value_full_name(self, record):
        return record.get_full_name()

    def render_roles(self, record):
        names = [g.name for g in record.groups.all()]
        if record.is_superuser:
            names.insert(0, "Superuser")
        elif record.is_staff:
            names.insert(0, "Admin site")
        return ", ".join(names) or "No role"


class StaffFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name")
    role = django_filters.ChoiceFilter(field_name="groups__name", choices=[(r, r) for r, _ in STAFF_ROLE_CHOICES],
                                       label="Role", empty_label="All roles")
    is_active = django_filters.BooleanFilter(
        label="Active", widget=forms.Select(choices=[("", "Active or not"), ("true", "Active"), ("false", "Inactive")]),
    )

    class Meta:
        model = get_user_model()
        fields = ["q", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self.form)
        self.form.fields["q"].widget.attrs.update(type="search", placeholder="Username or name")

    def search(self, queryset, name, value):
        """Every word in the username, first or last name."""
        for word in value.split():
            queryset = queryset.filter(
                Q(username__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
            )
        return queryset
