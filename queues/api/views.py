"""The API's viewsets: slots, tokens, the waiting list, the daily report and a doctor's day.

Thin: parse and validate input, call the allocation service, serialise. Refusals from the
service become 4xx responses with their reason (config.api.exception_handler). Slots are
added through scheduling.slots.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.ids import is_uuid
from config.permissions import UsesDesk, ViewsReports
from idempotency.api import IdempotentPosts
from queues import allocation, patient_status, reports, selectors
from queues.api.filters import SlotFilter, TokenFilter, WaitingListFilter
from queues.api.serializers import (
    BookingRequestSerializer,
    CapacityRequestSerializer,
    DailyReportQuerySerializer,
    DelayRequestSerializer,
    DoctorQueueQuerySerializer,
    DoctorQueueSerializer,
    EmergencyRequestSerializer,
    ReasonSerializer,
    SlotCancellationSerializer,
    SlotQuerySerializer,
    SlotSerializer,
    TokenSerializer,
    WaitingListEntrySerializer,
)
from queues.models import Token, WaitingListEntry
from queues.permissions import DoctorQueueAccess, SlotActions, TokenActions
from scheduling import slots
from scheduling.models import Department, Doctor, Slot

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
        entry.place, entry.score = result.waiting_entry.place, result.waiting_entry.score  # placed by the service, in its locks
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
