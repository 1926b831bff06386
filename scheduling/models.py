"""Who and when: departments, doctors, patients and the doctors' time slots."""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

MAX_SLOT_CAPACITY = 500
MAX_DELAY_MINUTES = 24 * 60
MAX_SLOT_LENGTH = timedelta(hours=24)
MIN_PATTERN_SLOT_MINUTES = 5  # a weekly pattern's slots are at least this long
TOKEN_PREFIX = RegexValidator(r"^[A-Z0-9]{1,4}$", "Up to 4 capital letters or digits, e.g. C or ENT.")


def token_label(prefix: str, number) -> str:
    """A number as patients see it: "C-12" with a prefix, "12" without (also "C-W3" for a
    waiting number)."""
    return f"{prefix}-{number}" if prefix else str(number)


class Department(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    token_prefix = models.CharField(
        max_length=4, blank=True, validators=[TOKEN_PREFIX],
        help_text="Printed before token numbers, e.g. C for cardiology: C-12. A doctor's own prefix wins.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Doctor(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    specialization = models.CharField(max_length=120, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="doctors"
    )
    room = models.CharField(max_length=30, blank=True)
    token_prefix = models.CharField(
        max_length=4, blank=True, validators=[TOKEN_PREFIX],
        help_text="Printed before this doctor's token numbers (e.g. AR: AR-12); blank uses the department's.",
    )
    # The staff login that works this doctor's queue (the Doctor role sees only its own).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="doctor",
    )
    is_active = models.BooleanField(default=True)
    notify_when_ahead = models.PositiveSmallIntegerField(
        "notify at place", default=3, validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Patients are told \"nearly your turn\" when they become this many or fewer in line.",
    )
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        "no-show grace (minutes)", default=15, validators=[MaxValueValidator(240)],
        help_text="A booked patient not checked in this long after their slot's (delayed) end is marked a no-show; "
        "a called patient not at the door this long after two calls is offered to the doctor as one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def effective_token_prefix(self) -> str:
        return self.token_prefix or (self.department.token_prefix if self.department_id else "")

    def label_for(self, number) -> str:
        """A token number as patients see it: "C-12", or "12" with no prefix."""
        return token_label(self.effective_token_prefix, number)


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=20, blank=True, db_index=True)
    email = models.EmailField(blank=True)
    # The hospital's registration number (UHID): given at registration from UHID_PATTERN
    # (scheduling.patients.next_uhid), or an older number typed in.
    hospital_number = models.CharField("UHID", max_length=30, null=True, blank=True, unique=True)
    # Stored as ABHA shows it: XX-XXXX-XXXX-XXXX (scheduling.identity).
    abha_number = models.CharField("ABHA number", max_length=17, null=True, blank=True, unique=True)
    abha_address = models.CharField("ABHA address", max_length=64, null=True, blank=True, unique=True)
    guardian_name = models.CharField("father's or husband's name", max_length=120, blank=True)
    locality = models.CharField("village / locality", max_length=120, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    # The age told at the counter when the date of birth is not known (as of created_at).
    age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(130)]
    )
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the spelling-tolerant search compares words with (scheduling.patient_search): kept by
    # the database, with a trigram (GiST) index on PostgreSQL with pg_trgm (migration 0007).
    search_text = models.GeneratedField(
        expression=Lower(Concat("name", Value(" "), "guardian_name", Value(" "), "locality")),
        output_field=models.TextField(), db_persist=True,
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name

    @property
    def age_now(self) -> int | None:
        return self.age_on(timezone.localdate())

    def age_on(self, day: date) -> int | None:
        """Age in whole years on `day`: from the date of birth when known, else the age told."""
        if self.date_of_birth:
            dob = self.date_of_birth
            return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
        return self.age


class UhidSeries(models.Model):
    """The last UHID handed out in one series (e.g. "2026{seq}" for "{year}{seq:06d}"): locked
    and moved on in the registering transaction, so a number is never handed out twice or reused."""

    series = models.CharField(max_length=60, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "UHID series"

    def __str__(self):
        return f"{self.series}: {self.last_number}"


class Slot(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        DELAYED = "DELAYED", "Delayed"
        CANCELLED = "CANCELLED", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="slots")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    max_capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SLOT_CAPACITY)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # This slot's own delay. Later slots of the same doctor and day inherit part of it (see
    # queues.priority.cascade_delays); setting it again replaces it, 0 clears it.
    delay_minutes = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_DELAY_MINUTES)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_time"]
        permissions = [("manage_schedules", "Can manage doctors, departments and schedules")]
        indexes = [models.Index(fields=["doctor", "start_time"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="slot_ends_after_start"),
            models.CheckConstraint(
                condition=Q(max_capacity__gte=1, max_capacity__lte=MAX_SLOT_CAPACITY),
                name="slot_capacity_in_range",
            ),
            models.CheckConstraint(
                condition=Q(delay_minutes__lte=MAX_DELAY_MINUTES), name="slot_delay_in_range"
            ),
        ]

    def __str__(self):
        start = timezone.localtime(self.start_time)
        end = timezone.localtime(self.end_time)
        return f"{self.doctor} {start:%d %b %H:%M}-{end:%H:%M}"

    @property
    def local_day(self) -> date:
        """The hospital's local day this slot belongs to."""
        return timezone.localdate(self.start_time)

    @property
    def duration(self) -> timedelta:
        return self.end_time - self.start_time

    @property
    def consultation_length(self) -> timedelta:
        return self.duration / self.max_capacity


class WeeklyPattern(models.Model):
    """A doctor's recurring week, e.g. Mon-Sat 09:00-13:00 in 60-minute slots of 15 patients.
    Slots are generated from it for a range of days (scheduling.schedules) and then edited per day."""

    WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="patterns")
    # Days of the week as digits, Monday = 0: "012345" is Monday to Saturday.
    weekdays = models.CharField(max_length=7)
    start = models.TimeField()
    end = models.TimeField()
    slot_minutes = models.PositiveSmallIntegerField(validators=[
        MinValueValidator(MIN_PATTERN_SLOT_MINUTES), MaxValueValidator(MAX_SLOT_LENGTH // timedelta(minutes=1)),
    ])
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_SLOT_CAPACITY)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["doctor__name", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="pattern_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.doctor} {self.days_display} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def days_display(self) -> str:
        """"Mon-Sat", "Mon, Wed, Fri" or "Every day"."""
        days = sorted(int(d) for d in self.weekdays)
        if days == list(range(7)):
            return "Every day"
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            return f"{self.WEEKDAYS[days[0]]}-{self.WEEKDAYS[days[-1]]}"
        return ", ".join(self.WEEKDAYS[d] for d in days)


class PatientRecordEvent(models.Model):
    """Who edited, deleted or looked at a patient's record, and when (scheduling.patients).
    Append-only. It names the patient by id and a copy of the name, not a foreign key, so the
    record outlives a deleted patient; the staff member is protected from deletion (deactivate
    a login instead) and their name is kept as it was."""

    class Kind(models.TextChoices):
        EDITED = "EDITED", "Edited"
        DELETED = "DELETED", "Deleted"
        VIEWED = "VIEWED", "Viewed"

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    patient_id = models.UUIDField(db_index=True)
    patient_name = models.CharField(max_length=120)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    via = models.CharField(max_length=10, help_text="Where: api, desk or admin.")
    changes = models.JSONField(null=True, blank=True, help_text="Edited fields: {field: [before, after]}.")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["patient_id", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.patient_name} by {self.actor_name or '-'}"
