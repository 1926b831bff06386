"""Forms of the Scan & Share pages."""

from django import forms

from abdm.models import RegistrationCounter
from queues import categories
from queues.models import Category
from scheduling.models import Doctor


class CounterForm(forms.ModelForm):
    class Meta:
        model = RegistrationCounter
        fields = ["code", "name", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-check-input" if name == "active" else "form-control")

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class ShareBookingForm(forms.Form):
    doctor = forms.ModelChoiceField(queryset=Doctor.objects.filter(is_active=True), empty_label="Choose a doctor…",
                                    error_messages={"required": "Choose a doctor."},
                                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    category = forms.ChoiceField(choices=categories.desk_choices, initial=Category.WALKIN,
                                 widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)
