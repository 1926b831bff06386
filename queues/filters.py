"""Filters for the desk's lists (django-filter)."""

import django_filters
from django.db.models import Q

from scheduling.models import Patient


class PatientSearch(django_filters.FilterSet):
    """One box finds a patient by phone, name or hospital number, as the receptionist types."""

    q = django_filters.CharFilter(method="search", label="Phone, name or hospital no.")

    class Meta:
        model = Patient
        fields = []

    def search(self, queryset, name, value):
        value = " ".join(value.split())[:100]
        if not value:
            return queryset.none()
        digits = value.replace(" ", "").replace("-", "").lstrip("+")
        match = Q(name__icontains=value) | Q(hospital_number__iexact=value) | Q(hospital_number__istartswith=value)
        if digits.isdigit():
            match |= Q(phone__contains=digits)
        return queryset.filter(match).order_by("name")
