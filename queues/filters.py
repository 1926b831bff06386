"""Filters for the desk's lists (django-filter)."""

import django_filters

from scheduling import patient_search
from scheduling.models import Patient


class PatientSearch(django_filters.FilterSet):
    """One box finds a patient as the receptionist types: name, father's/husband's name or village
    (spelling-tolerant), phone, UHID, ABHA number or address (scheduling.patient_search)."""

    q = django_filters.CharFilter(method="search", label="Name, phone, UHID or ABHA")

    class Meta:
        model = Patient
        fields = []

    def search(self, queryset, name, value):
        return patient_search.search_patients(queryset, value)
