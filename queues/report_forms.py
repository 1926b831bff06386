"""The daily report's filters: which day, which doctor, which department."""

from django import forms
from django.core.exceptions import ValidationError

from scheduling.dates import validate_day
from scheduling.models import Department, Doctor


class DoctorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, doctor):
        return f"{doctor.name} ({doctor.department.name})" if doctor.department else doctor.name


class DayField(forms.DateField):
    """A YYYY-MM-DD date whose error message repeats what was typed."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from None


class ReportFilterForm(forms.Form):
    date = DayField(
        required=False,
        input_formats=["%Y-%m-%d"],
        validators=[validate_day],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "“%(value)s” is not a date: use YYYY-MM-DD, for example 2026-03-10."},
        help_text="The hospital's local day; today if left empty.",
    )
    doctor = DoctorChoiceField(
        queryset=Doctor.objects.select_related("department").order_by("name"),
        required=False,
        empty_label="All doctors",
        error_messages={"invalid_choice": "There is no doctor “%(value)s”: pick one from the list."},
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("name"),
        required=False,
        empty_label="All departments",
        error_messages={"invalid_choice": "There is no department “%(value)s”: pick one from the list."},
    )

    def describe(self) -> str:
        """The filters in words, for the printed header."""
        parts = [str(self.cleaned_data[name]) for name in ("doctor", "department") if self.cleaned_data.get(name)]
        return ", ".join(parts) or "All doctors and departments"
