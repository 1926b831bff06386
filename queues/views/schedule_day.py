"""A doctor's slots on one day, edited by a manager: add a slot, change a capacity (never below
what the slot holds: the allocation service refuses), cancel a slot (its patients are listed
for rebooking at the desk), delete a slot nobody was ever booked into."""

from datetime import date, datetime

from django.contrib import messages
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from config.ids import is_uuid
from config.permissions import role_required
from queues import allocation, selectors
from queues.errors import AllocationError
from scheduling import dates, slots
from scheduling.errors import SchedulingError
from scheduling.forms import CapacityForm, SlotForm
from scheduling.models import Doctor, Slot
from scheduling.roles import MANAGE_SCHEDULES

# The SlotForm field that a refusal from scheduling.slots is about (None: the whole form).
SLOT_FORM_FIELDS = {"start_time": "start", "end_time": "end", "max_capacity": "max_capacity"}


def _day(value) -> date | None:
    """The day asked for (today when none); None when the value is not a date."""
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _back(doctor_id, day):
    return redirect(f"{reverse('queues:schedule-day')}?doctor={doctor_id}&date={day.isoformat()}")


@require_http_methods(["GET", "POST"])
@role_required(MANAGE_SCHEDULES)
def schedule_day(request):
    doctor = Doctor.objects.filter(pk=request.GET["doctor"]).first() if is_uuid(request.GET.get("doctor")) else None
    day = _day(request.GET.get("date"))
    if day is None:  # never add a slot to a day nobody asked for
        messages.error(request, f"“{request.GET['date']}” is not a date (use YYYY-MM-DD); showing today.")
        return _back(doctor.pk if doctor else "", timezone.localdate())
    if not dates.day_in_window(day):
        messages.error(request, f"{day:%d %b %Y} is outside the schedule. {dates.window_message()} Showing today.")
        return _back(doctor.pk if doctor else "", timezone.localdate())
    form = SlotForm(request.POST or None, initial={"max_capacity": 15})
    if request.method == "POST" and doctor and form.is_valid():
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(day, form.cleaned_data["start"]), tz)
        end = timezone.make_aware(datetime.combine(day, form.cleaned_data["end"]), tz)
        try:
            slots.create_slot(doctor=doctor, start_time=start, end_time=end, max_capacity=form.cleaned_data["max_capacity"])
        except SchedulingError as exc:
            form.add_error(SLOT_FORM_FIELDS.get(exc.field), exc.message)
        else:
            messages.success(request, "Slot added.")
            return _back(doctor.pk, day)
    rows = [(s, CapacityForm(slot=s)) for s in selectors.slot_board(day=day) if doctor and s.doctor_id == doctor.pk]
    context = {
        "nav": "schedules", "doctor": doctor, "day": day, "rows": rows, "form": form,
        "doctors": Doctor.objects.filter(is_active=True),
    }
    return render(request, "scheduling/day.html", context, status=400 if form.errors else 200)


@require_POST
@role_required(MANAGE_SCHEDULES)
def slot_capacity(request, slot_id):
    slot = get_object_or_404(Slot, pk=slot_id)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Capacity: " + " ".join(form.errors["max_capacity"]))
    else:
        try:
            allocation.change_capacity(slot_id=slot.pk, max_capacity=form.cleaned_data["max_capacity"], by=request.user)
            messages.success(request, "Capacity changed.")
        except AllocationError as exc:
            messages.error(request, exc.message)
    return _back(slot.doctor_id, slot.local_day)


@require_POST
@role_required(MANAGE_SCHEDULES)
def slot_delete(request, slot_id):
    slot = get_object_or_404(Slot, pk=slot_id)
    try:
        slot.delete()
        messages.success(request, "Slot deleted.")
    except ProtectedError:
        messages.error(request, "This slot has bookings or a history, so it cannot be deleted: cancel it instead "
                                "(its patients are listed for rebooking).")
    return _back(slot.doctor_id, slot.local_day)
