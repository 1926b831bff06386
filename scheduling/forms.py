"""Manager forms: doctors, departments, weekly patterns and slot generation."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from scheduling.models import MAX_SLOT_CAPACITY, Department, Doctor, WeeklyPattern
from scheduling.schedules import MAX_DAYS


class _Bootstrap:
    """Bootstrap classes on every widget, and the error announced with its field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, f in self.fields.items():
            if isinstance(f.widget, forms.CheckboxSelectMultiple):
                f.widget.attrs.setdefault("class", "form-check-input")
                continue
            css = "form-check-input" if isinstance(f.widget, forms.CheckboxInput) else (
                "form-select" if isinstance(f.widget, forms.Select) else "form-control")
            f.widget.attrs.setdefault("class", css)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "") + " is-invalid"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class DepartmentForm(_Bootstrap, forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name"]
        labels = {"name": "New department"}


class DoctorForm(_Bootstrap, forms.ModelForm):
    class Meta:
        model = Doctor
        fields = ["name", "specialization", "department", "room", "is_active"]
        labels = {"is_active": "Active (shown at the desk)"}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A name is required.")
        return name


class WeeklyPatternForm(_Bootstrap, forms.ModelForm):
    days = forms.MultipleChoiceField(
        choices=list(enumerate(WeeklyPattern.WEEKDAYS)), widget=forms.CheckboxSelectMultiple,
        initial=["0", "1", "2", "3", "4", "5"], label="Days",
    )

    class Meta:
        model = WeeklyPattern
        fields = ["start", "end", "slot_minutes", "capacity"]
        labels = {"slot_minutes": "Slot length (minutes)", "capacity": "Patients per slot"}
        widgets = {"start": forms.TimeInput(attrs={"type": "time"}), "end": forms.TimeInput(attrs={"type": "time"})}

    def clean(self):
        data = super().clean()
        start, end, minutes = data.get("start"), data.get("end"), data.get("slot_minutes")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        elif start and end and minutes and (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) < minutes:
            self.add_error("slot_minutes", "Not even one slot fits between the start and the end.")
        return data

    def save(self, commit=True):
        self.instance.weekdays = "".join(sorted(self.cleaned_data["days"]))
        return super().save(commit)


class GenerateForm(_Bootstrap, forms.Form):
    pattern = forms.ModelChoiceField(queryset=WeeklyPattern.objects.none(), empty_label=None)
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, doctor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pattern"].queryset = doctor.patterns.all()
        self.fields["pattern"].label_from_instance = (
            lambda p: f"{p.days_display} {p.start:%H:%M}-{p.end:%H:%M}, {p.slot_minutes} min x {p.capacity}"
        )
        today = timezone.localdate()
        self.fields["date_from"].initial = today
        self.fields["date_to"].initial = today + timedelta(days=6)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", "The last day must not be before the first.")
            elif (end - start).days >= MAX_DAYS:
                self.add_error("date_to", f"Generate at most {MAX_DAYS} days at a time.")
        return data


class SlotForm(_Bootstrap, forms.Form):
    """One extra slot on a day."""

    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    max_capacity = forms.IntegerField(min_value=1, max_value=MAX_SLOT_CAPACITY, label="Capacity")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", "The end must be after the start.")
        return data


class CapacityForm(forms.Form):
    max_capacity = forms.IntegerField(min_value=1, max_value=MAX_SLOT_CAPACITY, label="Capacity",
                                      widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}))
