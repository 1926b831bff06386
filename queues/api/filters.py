"""Filters of the API's lists (django-filter): slots, tokens, the waiting list."""

import django_filters

from queues.models import Token, WaitingListEntry
from scheduling.dates import validate_day
from scheduling.models import Slot


class SlotFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(field_name="start_time", lookup_expr="date", label="Local day (YYYY-MM-DD)",
                                     validators=[validate_day])

    class Meta:
        model = Slot
        fields = ["doctor", "status", "date"]


class TokenFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(field_name="day", label="Local day (YYYY-MM-DD)", validators=[validate_day])

    class Meta:
        model = Token
        fields = ["slot", "patient", "doctor", "status", "category", "date"]


class WaitingListFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(field_name="day", validators=[validate_day])

    class Meta:
        model = WaitingListEntry
        fields = ["slot", "patient", "doctor", "status", "date"]
