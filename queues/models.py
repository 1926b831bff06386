"""The queue itself: tokens, the waiting list, each doctor's day ledger and the event log."""

import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from scheduling.models import Doctor, Patient, Slot

# Status-page codes: 10 characters from an alphabet without look-alikes (no 0/o, 1/l/i),
# about 49 bits: unguessable at the rate guesses are allowed (queues/views/status.py).
STATUS_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
STATUS_CODE_LENGTH = 10


def new_status_code() -> str:
    """A fresh code for a token's or waiting-list entry's public status page (/s/<code>/)."""
    import secrets

    return "".join(secrets.choice(STATUS_CODE_ALPHABET) for _ in range(STATUS_CODE_LENGTH))


class Category(models.Model):
    """A kind of patient the queue serves, with its base priority (1 = first). Hospital data:
    managers add categories or switch them on and off in the admin. EMERGENCY is special in the
    rules (ahead of everyone, over capacity) and cannot be switched off."""

    # The seed's five codes (their base priorities 1-5 are seeded in migration 0004).
    EMERGENCY = "EMERGENCY"
    PRIORITY_PAID = "PRIORITY_PAID"
    FOLLOWUP = "FOLLOWUP"
    ONLINE = "ONLINE"
    WALKIN = "WALKIN"

    code = models.CharField(
        max_length=16, primary_key=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9_]*$", "Capital letters, digits and _ only, e.g. SENIOR_CITIZEN.")],
    )
    name = models.CharField(max_length=60)
    name_hi = models.CharField("name (Hindi)", max_length=60, blank=True)
    base_priority = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(9)], help_text="1 is served first."
    )
    checked_in_at_booking = models.BooleanField(
        default=False,
        help_text="Patients of this category are booked in person, so they are present (callable) at once. "
        "Others (online, follow-up) check in when they arrive.",
    )
    active = models.BooleanField(default=True, help_text="Only active categories can be booked.")
    sort_order = models.PositiveSmallIntegerField(default=0, help_text="Order on the desk's category buttons.")

    class Meta:
        ordering = ["sort_order", "base_priority", "code"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=Q(base_priority__gte=1, base_priority__lte=9), name="category_priority_1_to_9"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.code == self.EMERGENCY and not self.active:
            raise ValidationError("Emergency cannot be switched off.")

    # Names by code, for labels on pages: read once per LABELS_SECONDS per process (and again
    # after a category is saved here); bookings always read the row (queues.categories.bookable).
    LABELS_SECONDS = 30
    _by_code: dict = {"at": float("-inf"), "rows": {}}

    @classmethod
    def by_code(cls) -> dict:
        if time.monotonic() - cls._by_code["at"] > cls.LABELS_SECONDS or not cls._by_code["rows"]:
            cls._by_code = {"at": time.monotonic(), "rows": {c.code: c for c in cls.objects.all()}}
        return cls._by_code["rows"]

    @classmethod
    def forget_labels(cls) -> None:
        cls._by_code = {"at": float("-inf"), "rows": {}}

    @classmethod
    def label(cls, code: str, language: str = "en") -> str:
        category = cls.by_code().get(code)
        if category is None:
            return code
        return (category.name_hi or category.name) if language == "hi" else category.name


class DoctorDay(models.Model):
    """One row per doctor per local day: hands out token numbers and serialises the day's
    cross-slot rules (one booking per patient per doctor per day)."""

    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    last_token_number = models.PositiveIntegerField(default=0)
    last_waiting_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doctor", "day"], name="one_ledger_per_doctor_day")]

    def __str__(self):
        return f"{self.doctor} {self.day}"


class TokenQuerySet(models.QuerySet):
    def holding_a_place(self):
        """Tokens that hold or used one of their slot's places (see Token.HOLDING_A_PLACE):
        the one definition every capacity count uses."""
        return self.filter(status__in=Token.HOLDING_A_PLACE)


class Token(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "CONFIRMED", "Confirmed"
        ARRIVED = "ARRIVED", "Arrived"
        CALLED = "CALLED", "Called"
        COMPLETED = "COMPLETED", "Completed"
        CANCELLED = "CANCELLED", "Cancelled"
        NO_SHOW = "NO_SHOW", "No-show"

    # Tokens still in the queue (they hold a place and have a position).
    ACTIVE = (Status.CONFIRMED, Status.ARRIVED, Status.CALLED)
    # Tokens that hold or used one of the slot's places: a completed consultation used the
    # doctor's time, so it does not free a place for someone else.
    HOLDING_A_PLACE = (*ACTIVE, Status.COMPLETED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="tokens")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="tokens")
    # Copied from the slot so the database can enforce the per-doctor, per-day rules.
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="tokens")
    day = models.DateField(help_text="The hospital's local day of the slot.")
    token_number = models.PositiveIntegerField()
    token_label = models.CharField(max_length=16, help_text="What the patient is called by: prefix and number, e.g. C-12.")
    category = models.CharField(max_length=16, help_text="A Category code.")
    priority = models.PositiveSmallIntegerField(help_text="Base priority of the category (1 = first).")
    booked_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    # Placed in the day's order right behind another token (a skip, a late check-in, a
    # reinstatement): see queues.priority.day_order.
    behind = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requeued_at = models.DateTimeField(null=True, blank=True)
    skip_count = models.PositiveSmallIntegerField(default=0)
    first_estimate = models.DateTimeField(
        null=True, blank=True, help_text="The first estimated call time this patient was told (for the report's error)."
    )
    arrived_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    status_code = models.CharField(
        max_length=STATUS_CODE_LENGTH, unique=True, default=new_status_code, editable=False,
        help_text="The code of the patient's public status page (/s/<code>/), printed on the slip.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["day", "token_number"]
        # Role permissions (granted to the Groups in migration 0002; see scheduling/roles.py).
        permissions = [
            ("use_desk", "Can work the reception desk"),
            ("work_queue", "Can work a doctor's live queue"),
            ("view_reports", "Can view daily reports"),
        ]
        indexes = [
            models.Index(fields=["slot", "status"]),
            models.Index(fields=["day", "doctor"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "day", "token_number"], name="token_number_unique_per_doctor_day"
            ),
            models.UniqueConstraint(
                fields=["doctor", "day", "patient"],
                condition=Q(status__in=["CONFIRMED", "ARRIVED", "CALLED"]),
                name="one_active_token_per_patient_doctor_day",
            ),
        ]

    def __str__(self):
        return f"{self.token_label} {self.patient} ({self.get_status_display()})"

    @property
    def category_name(self) -> str:
        return Category.label(self.category)

    @property
    def actual_time(self):
        """When the consultation actually began (the patient was called in)."""
        return self.called_at


class WaitingListEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "WAITING", "Waiting"
        PROMOTED = "PROMOTED", "Promoted"
        CANCELLED = "CANCELLED", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="waiting_entries")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waiting_entries")
    doctor = models.ForeignKey(Doctor, on_delete=models.PROTECT, related_name="waiting_entries")
    day = models.DateField()
    waiting_number = models.PositiveIntegerField(
        default=0, help_text="Printed on the waiting-list slip (W1, W2, ...): per doctor per day, never reused."
    )
    category = models.CharField(max_length=16, help_text="A Category code.")
    priority = models.PositiveSmallIntegerField()
    booked_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    token = models.OneToOneField(
        Token, null=True, blank=True, on_delete=models.PROTECT, related_name="promoted_from",
        help_text="The token this entry became when a place freed up.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    status_code = models.CharField(
        max_length=STATUS_CODE_LENGTH, unique=True, default=new_status_code, editable=False,
        help_text="The code of the patient's public status page (/s/<code>/), printed on the slip.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "waiting list entries"
        ordering = ["booked_at"]
        indexes = [models.Index(fields=["slot", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "day", "patient"],
                condition=Q(status="WAITING"),
                name="one_waiting_entry_per_patient_doctor_day",
            ),
        ]

    def __str__(self):
        return f"{self.patient} waiting for {self.slot}"

    @property
    def waiting_label(self) -> str:
        """What the waiting patient is called by: "GM-W3" (the doctor's token prefix), else "W3"."""
        return self.doctor.label_for(f"W{self.waiting_number}")

    @property
    def category_name(self) -> str:
        return Category.label(self.category)


class QueueEvent(models.Model):
    """Append-only record of every change to a patient's day; never updated or deleted (a
    database trigger refuses both: migration 0006)."""

    class Kind(models.TextChoices):
        BOOKED = "BOOKED", "Booked"
        WAITLISTED = "WAITLISTED", "Added to waiting list"
        EMERGENCY = "EMERGENCY", "Emergency inserted"
        PROMOTED = "PROMOTED", "Promoted from waiting list"
        ARRIVED = "ARRIVED", "Checked in"
        CALLED = "CALLED", "Called in"
        RECALLED = "RECALLED", "Called again"
        REINSTATED = "REINSTATED", "Reinstated after a no-show"
        SKIPPED = "SKIPPED", "Skipped"
        COMPLETED = "COMPLETED", "Completed"
        CANCELLED = "CANCELLED", "Cancelled"
        NO_SHOW = "NO_SHOW", "No-show"
        WAITLIST_CANCELLED = "WAITLIST_CANCELLED", "Removed from waiting list"
        DELAY_SET = "DELAY_SET", "Delay set"
        SLOT_CANCELLED = "SLOT_CANCELLED", "Slot cancelled"
        CAPACITY_CHANGED = "CAPACITY_CHANGED", "Capacity changed"

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="events")
    token = models.ForeignKey(Token, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    waiting_entry = models.ForeignKey(
        WaitingListEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    # PROTECT: a login that acted is deactivated, never deleted, so every event keeps who did it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()}"


def new_display_key() -> str:
    """An unguessable key for a board's URL (192 bits)."""
    import secrets

    return secrets.token_urlsafe(24)


class Display(models.Model):
    """A waiting-room TV board: which doctors it shows and how, reached by a secret URL key."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        HINDI = "hi", "हिन्दी (Hindi)"

    MAX_DOCTORS = 8

    name = models.CharField(max_length=80)
    department = models.ForeignKey(
        "scheduling.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="displays",
        help_text="Show this department's doctors (and any chosen below).",
    )
    doctors = models.ManyToManyField(Doctor, blank=True, related_name="displays")
    key = models.CharField(max_length=64, unique=True, default=new_display_key, editable=False)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    chime = models.BooleanField(default=True, help_text="Play a chime when a token is called.")
    speech = models.BooleanField(default=True, help_text="Speak the call aloud (browser speech synthesis).")
    active = models.BooleanField(default=True, help_text="A revoked display's link stops working at once.")
    created_at = models.DateTimeField(auto_now_add=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def shown_doctors(self):
        """The active doctors this board shows (chosen ones and the department's), by room order."""
        q = Q(pk__in=self.doctors.values("pk"))
        if self.department_id:
            q |= Q(department_id=self.department_id)
        if not self.department_id and not self.doctors.exists():
            q = Q()  # nothing chosen: every doctor
        return Doctor.objects.filter(q, is_active=True).order_by("name")[: self.MAX_DOCTORS]


class Notice(models.Model):
    """The outbox: a message owed to a patient because of a queue change, written in the same
    transaction as that change (so a rolled-back change owes nothing and a committed one is never
    forgotten). The worker (the notices app) renders and delivers it on the patient's channels;
    `key` makes it once per token (or waiting entry) and kind, e.g. "DELAYED:30" per new delay."""

    class Kind(models.TextChoices):
        BOOKED = "BOOKED", "Booked"
        WAITLISTED = "WAITLISTED", "On the waiting list"
        NEAR = "NEAR", "Nearly your turn"
        CALLED = "CALLED", "Called in"
        DELAYED = "DELAYED", "Running late"
        PROMOTED = "PROMOTED", "Promoted from the waiting list"
        SLOT_CANCELLED = "SLOT_CANCELLED", "Slot cancelled"
        REMINDER = "REMINDER", "Reminder the evening before"
        NO_SHOW = "NO_SHOW", "Marked as a no-show"

    class State(models.TextChoices):
        PENDING = "PENDING", "Queued"
        DONE = "DONE", "Done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # known before the insert
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=40)
    token = models.ForeignKey(Token, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    waiting_entry = models.ForeignKey(WaitingListEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notices")
    doctor = models.ForeignKey(Doctor, on_delete=models.CASCADE, related_name="notices")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(null=True, blank=True, help_text="Not delivered before this (quiet hours, a retry's back-off).")
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the worker.")
    attempts = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["state", "not_before"])]
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], condition=Q(token__isnull=False), name="one_notice_per_token_key"),
            models.UniqueConstraint(
                fields=["waiting_entry", "key"], condition=Q(waiting_entry__isnull=False), name="one_notice_per_entry_key"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_state_display()})"
