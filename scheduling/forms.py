"""Manager forms: doctors, departments, weekly patterns and slot generation."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm, UserCreationForm
from django.utils import timezone

from scheduling import roles
from scheduling.dates import validate_day
from scheduling.models import (
    MAX_SLOT_CAPACITY,
    MAX_SLOT_LENGTH,
    MIN_PATTERN_SLOT_MINUTES,
    Department,
    Doctor,
    WeeklyPattern,
)
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
        fields = ["name", "token_prefix"]
        labels = {"name": "New department", "token_prefix": "Token prefix"}

    def clean_token_prefix(self):
        return self.cleaned_data["token_prefix"].strip().upper()


class DoctorForm(_Bootstrap, forms.ModelForm):
    class Meta:
        model = Doctor
        fields = ["name", "specialization", "department", "room", "token_prefix", "notify_when_ahead", "no_show_grace_minutes", "is_active"]
        labels = {"is_active": "Active (shown at the desk)", "token_prefix": "Token prefix"}

    DEFAULTED = ("notify_when_ahead", "no_show_grace_minutes")  # left empty: the model's default

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.DEFAULTED:
            self.fields[name].required = False

    def _defaulted(self, name):
        value = self.cleaned_data.get(name)
        return Doctor._meta.get_field(name).default if value is None else value

    def clean_notify_when_ahead(self):
        return self._defaulted("notify_when_ahead")

    def clean_no_show_grace_minutes(self):
        return self._defaulted("no_show_grace_minutes")

    def clean_token_prefix(self):
        return self.cleaned_data["token_prefix"].strip().upper()

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's limits, for the browser too (a model field's validators do not reach the widget).
        self.fields["slot_minutes"].widget.attrs.update(min=MIN_PATTERN_SLOT_MINUTES, max=MAX_SLOT_LENGTH // timedelta(minutes=1))
        self.fields["capacity"].widget.attrs.update(min=1, max=MAX_SLOT_CAPACITY)

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
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_day])
    date_to = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_day])

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
    """One extra slot on a day. Its rules (end after start, no overlap) are checked by
    scheduling.slots.create_slot, whose refusals the view shows on these fields."""

    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    max_capacity = forms.IntegerField(min_value=1, max_value=MAX_SLOT_CAPACITY, label="Capacity")


class CapacityForm(forms.Form):
    """A slot's new capacity. For a slot's row on the day page (`slot=`), the input starts at
    its capacity and its browser-side minimum is what it holds: the allocation service refuses less."""

    max_capacity = forms.IntegerField(min_value=1, max_value=MAX_SLOT_CAPACITY, label="Capacity",
                                      widget=forms.NumberInput(attrs={"class": "form-control form-control-sm capacity-input"}))

    def __init__(self, *args, slot=None, **kwargs):
        if slot is not None:
            kwargs.setdefault("initial", {"max_capacity": slot.max_capacity})
            kwargs.setdefault("auto_id", f"cap-{slot.pk}-%s")
        super().__init__(*args, **kwargs)
        if slot is not None and getattr(slot, "held", 0):
            self.fields["max_capacity"].widget.attrs["min"] = slot.held


# --- Staff logins (scheduling/staff.py) ------------------------------------------------------

STAFF_ROLE_CHOICES = [
    (roles.RECEPTION, "Reception (desk)"),
    (roles.DOCTOR, "Doctor (own queue only)"),
    (roles.MANAGER, "Manager (schedules, reports, users)"),
]


def current_role(user) -> str | None:
    """The one role Group a login is in (the first, if an old login has several)."""
    names = {g.name for g in user.groups.all()}
    return next((role for role, _ in STAFF_ROLE_CHOICES if role in names), None)


class _StaffRoleFields:
    """Role (exactly one) and, for a Doctor login, the doctor whose queue it works. Only the
    fields named here and in Meta reach the user: never is_staff, is_superuser or permissions."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance if self.instance.pk else None
        doctors = Doctor.objects.filter(user__isnull=True)
        linked = getattr(user, "doctor", None) if user else None
        if linked is not None:
            doctors = doctors | Doctor.objects.filter(pk=linked.pk)
        self.fields["role"] = forms.ChoiceField(
            choices=STAFF_ROLE_CHOICES, label="Role",
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            initial=current_role(user) if user else roles.RECEPTION,
        )
        self.fields["doctor"] = forms.ModelChoiceField(
            queryset=doctors.order_by("name"), required=False, label="Linked doctor (Doctor role)",
            empty_label="None", initial=linked.pk if linked else None,
            help_text="Only doctors without a login are listed.",
        )

    def clean(self):
        data = super().clean()
        role, doctor = data.get("role"), data.get("doctor")
        active = data.get("is_active", True)
        if role == roles.DOCTOR and doctor is None and active and "doctor" not in self.errors:
            self.add_error("doctor", "Pick the doctor whose queue this login works.")
        elif role and role != roles.DOCTOR and doctor is not None:
            self.add_error("doctor", "Only a Doctor login is linked to a doctor: choose None or the Doctor role.")
        return data


class StaffCreateForm(_Bootstrap, _StaffRoleFields, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "first_name", "last_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["username", "first_name", "last_name", "role", "doctor", "password1", "password2"])


class StaffEditForm(_Bootstrap, _StaffRoleFields, forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "is_active"]
        labels = {"is_active": "Active (can log in)"}
        help_texts = {"is_active": ""}

    def __init__(self, *args, editor, **kwargs):
        super().__init__(*args, **kwargs)
        self.editor = editor
        self.order_fields(["first_name", "last_name", "role", "doctor", "is_active"])

    def clean(self):
        data = super().clean()
        if self.instance.pk == self.editor.pk:
            if data.get("role") and data["role"] != current_role(self.instance):
                self.add_error("role", "You cannot change your own role; ask another manager.")
            if "is_active" in data and not data["is_active"]:
                self.add_error("is_active", "You cannot deactivate your own login.")
        return data


class StaffPasswordForm(_Bootstrap, SetPasswordForm):
    """A new password for a staff login, checked by Django's password validators."""
