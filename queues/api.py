"""REST API for slots, tokens, the waiting list and the daily report.

Thin: parse and validate input, call the allocation service, serialise. Refusals from the
service become 4xx responses with their reason (config.api.exception_handler). Slots are
added through scheduling.slots.
"""

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.ids import is_uuid
from config.permissions import UsesDesk, ViewsReports
from idempotency.api import IdempotentPosts
from queues import allocation, patient_status, reports, selectors
from queues.models import Token, WaitingListEntry
from queues.permissions import DoctorQueueAccess, SlotActions, TokenActions
from scheduling import slots
from scheduling.dates import validate_day, window_message
from scheduling.models import MAX_DELAY_MINUTES, MAX_SLOT_CAPACITY, Department, Doctor, Slot

# --- serializers ------------------------------------------------------------------------------


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


# --- helpers ----------------------------------------------------------------------------------


def _parse(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _token_response(token: Token, request, code=status.HTTP_200_OK) -> Response:
    token = reports.with_visit_kind(Token.objects.select_related("patient")).get(pk=token.pk)
    selectors.annotate_tokens([token])
    return Response(TokenSerializer(token, context={"request": request}).data, status=code)


_TOKEN_FIELDS = None


def _new_token_response(token: Token, request) -> Response:
    """A token just issued by the service already carries its place, estimate and patient's
    name (queues.allocation._issue_token): answer from it, with no second read. The serializer's
    fields are built once per process (a ModelSerializer builds ~25 fields per instance, more
    work than the booking itself); to_representation only reads them."""
    global _TOKEN_FIELDS
    if _TOKEN_FIELDS is None:
        _TOKEN_FIELDS = TokenSerializer()
    data = _TOKEN_FIELDS.to_representation(token)
    data["status_url"] = patient_status.status_url(token.status_code, request)  # the shared fields hold no request
    return Response(data, status=status.HTTP_201_CREATED)


def _slot_counts(queryset):
    held = (
        Token.objects.holding_a_place().filter(slot=OuterRef("pk"))
        .order_by().values("slot").annotate(n=Count("pk")).values("n")
    )
    waiting = (
        WaitingListEntry.objects.filter(slot=OuterRef("pk"), status=WaitingListEntry.Status.WAITING)
        .order_by().values("slot").annotate(n=Count("pk")).values("n")
    )
    return queryset.annotate(
        held=Coalesce(Subquery(held, output_field=IntegerField()), 0),
        waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), 0),
    )


# --- filters ----------------------------------------------------------------------------------


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


# --- views ------------------------------------------------------------------------------------


class SlotViewSet(IdempotentPosts, mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A doctor's time slots. Changes to a slot's queue go through the actions below."""
    permission_classes = [SlotActions]

    queryset = Slot.objects.all()
    serializer_class = SlotSerializer
    filterset_class = SlotFilter

    def get_queryset(self):
        return _slot_counts(Slot.objects.all())

    def perform_create(self, serializer):
        """Through scheduling.slots, which checks the limits and overlaps under the doctor's lock;
        its refusals answer 400 on the field they are about (config.api.exception_handler)."""
        serializer.instance = slots.create_slot(**serializer.validated_data)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        delays = selectors.effective_delays(page)
        return self.get_paginated_response(SlotSerializer(page, many=True, context={"delays": delays}).data)

    @extend_schema(request=DelayRequestSerializer, responses=SlotSerializer)
    @action(detail=True, methods=["put"])
    def delay(self, request, pk=None):
        """Set the slot's total delay in minutes (0 clears it). Later slots of the same doctor
        that day move too, less any gap between the slots."""
        data = _parse(DelayRequestSerializer, request.data)
        slot = allocation.delay_slot(slot_id=self.get_object().pk, delay_minutes=data["delay_minutes"], by=request.user)
        return Response(SlotSerializer(_slot_counts(Slot.objects.filter(pk=slot.pk)).get()).data)

    @extend_schema(request=CapacityRequestSerializer, responses=SlotSerializer)
    @action(detail=True, methods=["put"])
    def capacity(self, request, pk=None):
        """Change the slot's capacity: never below the places it holds; new room is filled from
        the waiting list at once."""
        data = _parse(CapacityRequestSerializer, request.data)
        slot = allocation.change_capacity(slot_id=self.get_object().pk, max_capacity=data["max_capacity"], by=request.user)
        return Response(SlotSerializer(_slot_counts(Slot.objects.filter(pk=slot.pk)).get()).data)

    @extend_schema(request=ReasonSerializer, responses=SlotCancellationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the slot and every booking in it; the response lists them for rebooking."""
        data = _parse(ReasonSerializer, request.data)
        result = allocation.cancel_slot(slot_id=self.get_object().pk, reason=data.get("reason", ""), by=request.user)
        selectors.annotate_tokens(result.cancelled_tokens)
        selectors.annotate_waiting_places(result.cancelled_entries)
        return Response(SlotCancellationSerializer(result, context={"request": self.request}).data)

    @extend_schema(responses=TokenSerializer(many=True))
    @action(detail=True, methods=["get"])
    def tokens(self, request, pk=None):
        """The slot's tokens still in the queue, in the doctor's day order (positions over the day)."""
        slot = self.get_object()
        return Response(TokenSerializer(selectors.queue_for_slot(slot=slot), many=True, context={"request": self.request}).data)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def call_next(self, request, pk=None):
        """Call the first present patient of this slot in the doctor's day order (completing the one
        with the doctor). See also POST /doctors/{id}/call_next/ for the whole day."""
        return _token_response(allocation.call_next(slot_id=self.get_object().pk, by=request.user), self.request)


class TokenViewSet(IdempotentPosts, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Tokens: request one, cancel it, and move it through the day."""
    permission_classes = [TokenActions]

    queryset = reports.with_visit_kind(Token.objects.select_related("patient"))
    serializer_class = TokenSerializer
    filterset_class = TokenFilter

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.annotate_tokens(page)
        return self.get_paginated_response(TokenSerializer(page, many=True, context={"request": self.request}).data)

    def retrieve(self, request, *args, **kwargs):
        return _token_response(self.get_object(), self.request)

    @extend_schema(
        request=BookingRequestSerializer,
        responses={201: TokenSerializer, 202: WaitingListEntrySerializer},
        description="201 with the token when confirmed; 202 with the waiting-list entry (and its place) "
        "when the slot is full; 409 for a double booking or a closed slot; 404 for an unknown slot or patient.",
    )
    def create(self, request):
        data = _parse(BookingRequestSerializer, request.data)
        result = allocation.book_token(
            slot_id=data["slot_id"], patient_id=data["patient_id"], category=data["category"],
            booked_at=data.get("booked_at"), by=request.user,
        )
        if result.confirmed:
            return _new_token_response(result.token, self.request)
        entry = WaitingListEntry.objects.select_related("patient").get(pk=result.waiting_entry.pk)
        selectors.annotate_waiting_places([entry])
        return Response(WaitingListEntrySerializer(entry, context={"request": self.request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ReasonSerializer, responses=TokenSerializer)
    def destroy(self, request, pk=None):
        """Cancel the token (it stays readable, status CANCELLED); its place goes to the waiting list."""
        data = _parse(ReasonSerializer, request.data if request.data else request.query_params)
        token = allocation.cancel_token(token_id=self.get_object().pk, reason=data.get("reason", ""), by=request.user)
        return _token_response(token, self.request)

    @extend_schema(request=EmergencyRequestSerializer, responses={201: TokenSerializer})
    @action(detail=False, methods=["post"])
    def emergency(self, request):
        """Insert an emergency patient at the head of the queue, even over capacity."""
        data = _parse(EmergencyRequestSerializer, request.data)
        token = allocation.insert_emergency(slot_id=data["slot_id"], patient_id=data["patient_id"], by=request.user)
        return _new_token_response(token, self.request)

    def _act(self, service):
        return _token_response(service(token_id=self.get_object().pk, by=self.request.user), self.request)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def no_show(self, request, pk=None):
        """Mark as a no-show; the place goes to the waiting list."""
        return self._act(allocation.mark_no_show)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def check_in(self, request, pk=None):
        """The patient has arrived at reception."""
        return self._act(allocation.check_in)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        """A no-show patient turned up the same day: back in the queue at the end of the present
        queue, number kept (recorded as REINSTATED)."""
        return self._act(allocation.reinstate_token)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The consultation is over."""
        return self._act(allocation.complete_token)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        """A called patient did not come in: back to the queue right behind the next present patient."""
        return self._act(allocation.skip_token)

    @extend_schema(request=None, responses=TokenSerializer)
    @action(detail=True, methods=["post"])
    def recall(self, request, pk=None):
        """Call the patient with the doctor once more."""
        return self._act(allocation.recall_token)


class WaitingListViewSet(IdempotentPosts, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [UsesDesk]
    queryset = WaitingListEntry.objects.select_related("patient")
    serializer_class = WaitingListEntrySerializer
    filterset_class = WaitingListFilter

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        selectors.annotate_waiting_places(page)
        return self.get_paginated_response(WaitingListEntrySerializer(page, many=True, context={"request": self.request}).data)

    def retrieve(self, request, *args, **kwargs):
        entry = self.get_object()
        selectors.annotate_waiting_places([entry])
        return Response(WaitingListEntrySerializer(entry, context={"request": self.request}).data)

    @extend_schema(request=ReasonSerializer, responses=WaitingListEntrySerializer)
    def destroy(self, request, pk=None):
        """Take the patient off the waiting list."""
        data = _parse(ReasonSerializer, request.data if request.data else request.query_params)
        entry = allocation.cancel_waiting_entry(entry_id=self.get_object().pk, reason=data.get("reason", ""), by=request.user)
        return Response(WaitingListEntrySerializer(selectors.annotate_waiting_places([entry])[0], context={"request": self.request}).data)

    @extend_schema(
        parameters=[OpenApiParameter("slot_id", OpenApiTypes.UUID, required=True)],
        responses=WaitingListEntrySerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def by_slot(self, request):
        """The slot's waiting patients in promotion order."""
        slot_id = _parse(SlotQuerySerializer, request.query_params)["slot_id"]
        slot = get_object_or_404(Slot, pk=slot_id)
        return Response(WaitingListEntrySerializer(selectors.waiting_list_for_slot(slot=slot), many=True, context={"request": self.request}).data)


class ReportViewSet(viewsets.ViewSet):
    permission_classes = [ViewsReports]

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Local day, default today"),
            OpenApiParameter("doctor_id", OpenApiTypes.UUID),
            OpenApiParameter("department_id", OpenApiTypes.UUID),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def daily(self, request):
        """Every figure of one day's report (the same as the report page): counts by category and
        status, headline figures, waiting and consultation medians and p90 in seconds, hour by
        hour, and per doctor. See docs/report.md."""
        query = _parse(DailyReportQuerySerializer, request.query_params)
        doctor_id, department_id = query.get("doctor_id"), query.get("department_id")
        if doctor_id and not Doctor.objects.filter(pk=doctor_id).exists():
            raise NotFound(f"No doctor with id {doctor_id}.")
        if department_id and not Department.objects.filter(pk=department_id).exists():
            raise NotFound(f"No department with id {department_id}.")
        return Response(
            reports.daily_report(
                day=query.get("date") or timezone.localdate(), doctor_id=doctor_id, department_id=department_id
            )
        )


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


class DoctorQueueViewSet(IdempotentPosts, viewsets.ViewSet):
    """One doctor's day in the serving order every screen shows and "call next" follows."""

    permission_classes = [DoctorQueueAccess]

    def _doctor(self, request, pk):
        doctor = get_object_or_404(Doctor, pk=pk) if is_uuid(pk) else None
        if doctor is None:
            raise NotFound("No such doctor.")
        self.check_object_permissions(request, doctor)
        return doctor

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Local day, default today")],
        responses=DoctorQueueSerializer,
    )
    def queue(self, request, pk=None):
        """The doctor's active tokens of the day in serving order: the patient with the doctor, then
        emergencies, then by slot start and score. Present patients are callable; expected ones keep
        their place. Positions and estimates are over the whole day."""
        doctor = self._doctor(request, pk)
        day = _parse(DoctorQueueQuerySerializer, request.query_params).get("date") or timezone.localdate()
        return Response(DoctorQueueSerializer(selectors.day_queue(doctor_id=doctor.pk, day=day, with_patients=False)).data)

    @extend_schema(request=None, responses=TokenSerializer)
    def call_next(self, request, pk=None):
        """Call the first present patient of the doctor's day order (completing the one with the
        doctor), as the doctor's page does. 409 with the reason when nobody is present."""
        doctor = self._doctor(request, pk)
        return _token_response(allocation.call_next_for_doctor(doctor_id=doctor.pk, by=request.user), self.request)
