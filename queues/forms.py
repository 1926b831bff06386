"""Desk forms: they parse and validate what the receptionist typed; queue rules stay in the
allocation service."""

import re

from django import forms
from django.utils import timezone

from queues import categories
from queues.models import Category
from scheduling import identity
from scheduling.models import MAX_DELAY_MINUTES, Doctor, Patient, Slot

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}$")


class PatientForm(forms.ModelForm):
    """Register a patient at the counter. Duplicates and the UHID are the registration
    service's (scheduling.patients); this form parses and checks the shape of what was typed."""

    # Sent by the "register as a new patient anyway" button after a name-and-phone match.
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Patient
        fields = ["name", "phone", "guardian_name", "locality", "age", "sex", "date_of_birth",
                  "abha_number", "abha_address", "hospital_number"]
        labels = {"hospital_number": "UHID (blank: next number)", "guardian_name": "Father's / husband's name",
                  "locality": "Village / locality", "date_of_birth": "Date of birth"}
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = [("", "—"), *Patient.Sex.choices]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", "form-select" if name == "sex" else "form-control")
            field.widget.attrs["id"] = f"id_new_{name}"
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        self.fields["age"].widget.attrs.update(min=0, max=130)
        self.fields["abha_number"].widget.attrs.update(inputmode="numeric", placeholder="91-1234-5678-9012", autocomplete="off")
        self.fields["abha_address"].widget.attrs.update(placeholder="name@abdm", autocomplete="off")

    def full_clean(self):
        super().full_clean()
        for name in self.errors:  # errors are shown next to the field and announced with it
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] += " is-invalid"
                attrs["aria-describedby"] = f"id_new_{name}-error"

    def validate_unique(self):
        # An ABHA already registered is shown as that patient by the registration service, not
        # as a bare "already exists".
        exclude = self._get_validation_exclusions() | {"abha_number", "abha_address"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as exc:
            self._update_errors(exc)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("A name is required.")
        return name

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = sum(c.isdigit() for c in phone)
        if phone and (not PHONE.match(phone) or not 6 <= digits <= 15):
            raise forms.ValidationError("Use digits only, e.g. 9876543210 (a leading + is fine).")
        return phone

    def clean_hospital_number(self):
        return (self.cleaned_data["hospital_number"] or "").strip() or None  # blank means "the next UHID"

    def _identifier(self, field, normalise):
        try:
            return normalise(self.cleaned_data[field]) if self.cleaned_data[field] else None
        except identity.InvalidIdentifier as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_abha_number(self):
        return self._identifier("abha_number", identity.format_abha_number)

    def clean_abha_address(self):
        return self._identifier("abha_address", identity.normalise_abha_address)

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        if value and not identity.plausible_birth_date(value, today=timezone.localdate()):
            raise forms.ValidationError("A date of birth is in the past and at most 130 years ago.")
        return value

    def registration(self) -> dict:
        """The service's arguments (scheduling.patients.register_patient)."""
        return {name: self.cleaned_data[name] for name in [*self.Meta.fields, "confirm_new"]}


class BookingForm(forms.Form):
    """Who, with which doctor, in which slot, as what. A blank slot means the doctor's
    preselected one (current or next with room), so the form also works without JavaScript."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), widget=forms.HiddenInput,
                                     error_messages={"required": "Find or register the patient first."})
    doctor = forms.ModelChoiceField(queryset=Doctor.objects.filter(is_active=True), empty_label="Choose a doctor…",
                                    error_messages={"required": "Choose a doctor."})
    slot = forms.ModelChoiceField(queryset=Slot.objects.none(), required=False, empty_label="Next with room")
    # What a receptionist books at the counter (the active categories); EMERGENCY has its own,
    # deliberate action.
    category = forms.ChoiceField(choices=categories.desk_choices, initial=Category.WALKIN, widget=forms.RadioSelect)
    request_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = Slot.objects.filter(pk__in=[s.pk for s in slots])
        self.category_keys = len(list(self.fields["category"].choices))  # keys 1..n on the desk
        self.fields["doctor"].widget.attrs["class"] = "form-select"
        self.fields["slot"].widget.attrs["class"] = "form-select"

    def clean(self):
        data = super().clean()
        slot, doctor = data.get("slot"), data.get("doctor")
        if slot and doctor and slot.doctor_id != doctor.pk:
            self.add_error("slot", "That slot belongs to another doctor.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=200, required=True, label="Reason",
                             widget=forms.TextInput(attrs={"class": "form-control", "list": "reasons", "autocomplete": "off"}),
                             error_messages={"required": "Say why, for the record."})

    def clean_reason(self):
        return " ".join(self.cleaned_data["reason"].split())


class DelayForm(forms.Form):
    delay_minutes = forms.IntegerField(
        min_value=0, max_value=MAX_DELAY_MINUTES, label="Delay (minutes, 0 clears it)",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": 5}),
    )
