"""The API's shapes: what slots, tokens, waiting-list entries and a doctor's day look like, and
the requests the actions take."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from queues import patient_status, selectors
from queues.models import Token, WaitingListEntry
from scheduling.dates import validate_day, window_message
from scheduling.models import MAX_DELAY_MINUTES, MAX_SLOT_CAPACITY, Slot


class ScheduleDateTimeField(serializers.DateTimeField):
    """A slot's time: one too far off to even convert to the hospital's time zone (year 9999)
    gets the same message as any other outside the schedule's window (scheduling.dates)."""

    def fail(self, key, **kwargs):
        if key == "overflow":
            raise serializers.ValidationError(window_message(), code="date_out_of_range")
        super().fail(key, **kwargs)


class SlotSerializer(serializers.ModelSerializer):
    start_time = ScheduleDateTimeField()
    end_time = ScheduleDateTimeField()
    current_capacity = serializers.SerializerMethodField(help_text="Places held (booked, arrived, called, seen).")
    waiting_count = serializers.SerializerMethodField()
    effective_delay_minutes = serializers.SerializerMethodField(
        help_text="This slot's own delay plus what it inherits from the doctor's earlier slots."
    )
    expected_start = serializers.SerializerMethodField()

    class Meta:
        model = Slot
        fields = [
            "id", "doctor", "start_time", "end_time", "max_capacity", "current_capacity", "waiting_count",
            "status", "delay_minutes", "effective_delay_minutes", "expected_start", "created_at",
        ]
        read_only_fields = ["status", "delay_minutes"]

    def _delay(self, slot) -> int:
        delays = self.context.get("delays")
        if delays is None or slot.id not in delays:
            return selectors.effective_delay(slot)
        return delays[slot.id]

    def get_current_capacity(self, slot) -> int:
        held = getattr(slot, "held", None)
        return held if held is not None else selectors.held_places([slot.pk]).get(slot.pk, 0)

    def get_waiting_count(self, slot) -> int:
        waiting = getattr(slot, "waiting", None)
        return waiting if waiting is not None else slot.waiting_entries.filter(status="WAITING").count()

    def get_effective_delay_minutes(self, slot) -> int:
        return self._delay(slot)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_expected_start(self, slot):
        return serializers.DateTimeField().to_representation(selectors.expected_start(slot, self._delay(slot)))


class TokenSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    position = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="Place in the doctor's serving order over the whole day, across slots (1 = first; the patient "
        "with the doctor is 1). Null once the token has left the queue.",
    )
    people_ahead = serializers.IntegerField(read_only=True, allow_null=True, help_text="position - 1, over the doctor's day.")
    present = serializers.BooleanField(read_only=True, help_text="Checked in and waiting: callable. False for expected (booked, not arrived) patients.")
    score = serializers.SerializerMethodField(help_text="Current final priority: base minus waiting bonus (lower is served first).")
    estimated_time = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="When the patient should be called: never before now nor their slot's delayed start, one measured "
        "consultation after the patient ahead (present or expected).",
    )
    wait_minutes = serializers.IntegerField(read_only=True, allow_null=True, help_text="About this many minutes from now.")
    actual_time = serializers.DateTimeField(read_only=True, allow_null=True)
    new_to_hospital = serializers.BooleanField(
        read_only=True, allow_null=True, default=None,
        help_text="No visit (a token neither cancelled nor a no-show) on an earlier day. Derived when read "
        "(queues.reports.with_visit_kind): null in the booking's own answer; GET the token for it.",
    )
    new_to_department = serializers.BooleanField(
        read_only=True, allow_null=True, default=None,
        help_text="No visit on an earlier day to a doctor of this token's department; null as above.",
    )
    status_url = serializers.SerializerMethodField(help_text="The patient's own live status page (no login; works on the token's day).")

    class Meta:
        model = Token
        fields = [
            "id", "slot", "patient", "patient_name", "doctor", "day", "token_number", "token_label", "priority", "score",
            "category", "status", "position", "people_ahead", "present", "estimated_time", "wait_minutes",
            "first_estimate", "actual_time", "booked_at", "arrived_at",
            "called_at", "completed_at", "cancelled_at", "no_show_at", "skip_count", "cancel_reason", "created_at", "updated_at",
            "new_to_hospital", "new_to_department", "status_url",
        ]
        read_only_fields = fields

    def get_score(self, token) -> float:
        return round(token.score, 4)

    def get_status_url(self, token) -> str:
        return patient_status.status_url(token.status_code, self.context.get("request"))


class WaitingListEntrySerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    place = serializers.IntegerField(read_only=True, allow_null=True, help_text="Place on the slot's waiting list (1 = next).")
    score = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField(help_text="The patient's own live status page (no login; works on the entry's day).")

    class Meta:
        model = WaitingListEntry
        fields = [
            "id", "slot", "patient", "patient_name", "doctor", "waiting_number", "category", "priority", "score",
            "booked_at", "place", "status", "token", "resolved_at", "cancel_reason", "created_at", "status_url",
        ]
        read_only_fields = fields

    def get_score(self, entry) -> float:
        return round(entry.score, 4)

    def get_status_url(self, entry) -> str:
        return patient_status.status_url(entry.status_code, self.context.get("request"))


class BookingRequestSerializer(serializers.Serializer):
    slot_id = serializers.UUIDField()
    patient_id = serializers.UUIDField()
    category = serializers.CharField(
        max_length=16, help_text="An active category code: EMERGENCY, PRIORITY_PAID, FOLLOWUP, ONLINE, WALKIN, or one the hospital added."
    )
    booked_at = serializers.DateTimeField(required=False, help_text="When an online booking was made; defaults to now.")


class EmergencyRequestSerializer(serializers.Serializer):
    slot_id = serializers.UUIDField()
    patient_id = serializers.UUIDField()


class DelayRequestSerializer(serializers.Serializer):
    delay_minutes = serializers.IntegerField(min_value=0, max_value=MAX_DELAY_MINUTES)


class CapacityRequestSerializer(serializers.Serializer):
    max_capacity = serializers.IntegerField(min_value=1, max_value=MAX_SLOT_CAPACITY)


class SlotQuerySerializer(serializers.Serializer):
    slot_id = serializers.UUIDField()


class DailyReportQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, validators=[validate_day], help_text="Local day, YYYY-MM-DD; default today.")
    doctor_id = serializers.UUIDField(required=False)
    department_id = serializers.UUIDField(required=False)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SlotCancellationSerializer(serializers.Serializer):
    slot = SlotSerializer()
    cancelled_tokens = TokenSerializer(many=True)
    cancelled_waiting_entries = WaitingListEntrySerializer(many=True, source="cancelled_entries")


# --- the doctor's day -------------------------------------------------------------------------


class DoctorQueueEntrySerializer(serializers.Serializer):
    token = serializers.UUIDField(source="pk")
    token_number = serializers.IntegerField()
    token_label = serializers.CharField()
    status = serializers.CharField()
    category = serializers.CharField()
    slot = serializers.UUIDField(source="slot_id")
    position = serializers.IntegerField()
    people_ahead = serializers.IntegerField()
    present = serializers.BooleanField(help_text="Checked in: callable. False: expected (booked, not arrived) or with the doctor.")
    expected = serializers.BooleanField()
    estimated_time = serializers.DateTimeField(allow_null=True)
    wait_minutes = serializers.IntegerField(allow_null=True)


class DoctorQueueSerializer(serializers.Serializer):
    doctor = serializers.UUIDField(source="doctor_id")
    date = serializers.DateField(source="day")
    pace_minutes = serializers.SerializerMethodField(help_text="The doctor's measured consultation time; null until measured.")
    next_token = serializers.SerializerMethodField(help_text="Whom call_next would call now.")
    queue = DoctorQueueEntrySerializer(source="order", many=True)

    def get_pace_minutes(self, day) -> float | None:
        return round(day.pace.total_seconds() / 60, 1) if day.pace else None

    def get_next_token(self, day) -> str | None:
        return str(day.next.pk) if day.next else None


class DoctorQueueQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, validators=[validate_day], help_text="Local day, YYYY-MM-DD; default today.")
