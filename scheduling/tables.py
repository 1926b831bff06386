"""Manager lists (django-tables2)."""

import django_tables2 as tables
import django_filters

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


class DoctorFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name")
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), empty_label="All departments")

    class Meta:
        model = Doctor
        fields = ["name", "department", "is_active"]
