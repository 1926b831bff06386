"""The doctor's live queue page (/doctor/): who is in, who is next, and the actions a doctor
takes during a clinic. Every action goes through the allocation service; the page itself is
kept current by pushes over /ws/doctor/<id>/ (see queues/broadcast.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from config.ids import is_uuid
from config.permissions import role_required
from queues import allocation, fragments
from queues.errors import AllocationError
from queues.models import Token
from scheduling.models import Doctor
from scheduling.roles import MANAGE_SCHEDULES, WORK_QUEUE, can_work_doctor_queue, doctor_for

TEMPLATE = fragments.DOCTOR_TEMPLATE


def _skipped(token) -> str:
    behind = f" behind token {token.skipped_behind}" if token.skipped_behind else ""
    again = " Skipped twice now: mark as a no-show if they do not come." if token.skip_count >= 2 else ""
    return f"Token {token.token_label} skipped: back in the queue{behind}.{again}"


# POST /doctor/tokens/<id>/<action>/ -> (service, what the doctor is told)
TOKEN_ACTIONS = {
    "complete": (allocation.complete_token, lambda t: f"Token {t.token_label} completed."),
    "recall": (allocation.recall_token, lambda t: f"Token {t.token_label} called again."),
    "skip": (allocation.skip_token, _skipped),
    "no-show": (allocation.mark_no_show, lambda t: f"Token {t.token_label} marked as a no-show."),
}


# Every page here: `role_required` lets in who may work a queue; `_doctor_or_403` then keeps a
# doctor to their own (scheduling.roles.can_work_doctor_queue).
def _doctor_or_403(request, doctor_id) -> Doctor:
    doctor = get_object_or_404(Doctor, pk=doctor_id)
    if not can_work_doctor_queue(request.user, doctor):
        raise PermissionDenied("You may only work your own queue.")
    return doctor


@role_required(WORK_QUEUE, MANAGE_SCHEDULES)
def doctor_home(request):
    """A Doctor goes straight to their own queue; a manager picks a doctor."""
    own = doctor_for(request.user)
    if own is not None and request.user.has_perm(WORK_QUEUE):
        return redirect("queues:doctor-queue", doctor_id=own.pk)
    if not request.user.has_perm(MANAGE_SCHEDULES):
        raise PermissionDenied("This login is not linked to a doctor.")
    doctors = Doctor.objects.filter(is_active=True).select_related("department")
    return render(request, "queues/doctor_pick.html", {"doctors": doctors, "nav": "doctor"})


@role_required(WORK_QUEUE, MANAGE_SCHEDULES)
@vary_on_headers("HX-Request")
def doctor_queue(request, doctor_id):
    doctor = _doctor_or_403(request, doctor_id)
    context = fragments.doctor_context(doctor, show_all="all" in request.GET)
    if request.htmx:
        return render(request, f"{TEMPLATE}#queue", context)
    context.update(nav="doctor", live_socket=f"/ws/doctor/{doctor.pk}/")
    return render(request, TEMPLATE, context)


def _respond(request, doctor, *, ok: str | None = None, error: str | None = None):
    """After an action: the fresh fragment (and a message) for htmx, a redirect otherwise."""
    if request.htmx:
        context = fragments.doctor_context(doctor) | {"flash": error or ok, "flash_error": bool(error)}
        return render(request, "queues/doctor_action.html", context, status=200)
    if error:
        messages.error(request, error)
    elif ok:
        messages.success(request, ok)
    return redirect("queues:doctor-queue", doctor_id=doctor.pk)


@role_required(WORK_QUEUE, MANAGE_SCHEDULES)
@require_POST
def call_next(request, doctor_id):
    doctor = _doctor_or_403(request, doctor_id)
    try:
        token = allocation.call_next_for_doctor(doctor_id=doctor.pk, by=request.user)
    except AllocationError as exc:
        return _respond(request, doctor, error=exc.message)
    done = ", ".join(token.completed_labels)
    note = f" Token {done} marked as seen." if done else ""
    return _respond(request, doctor, ok=f"Token {token.token_label} called in.{note}")


@role_required(WORK_QUEUE, MANAGE_SCHEDULES)
def token_action(request, token_id, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token = get_object_or_404(Token.objects.select_related("doctor"), pk=token_id)
    doctor = _doctor_or_403(request, token.doctor_id)
    if action not in TOKEN_ACTIONS:
        return _respond(request, doctor, error="Unknown action.")
    service, done = TOKEN_ACTIONS[action]
    try:
        token = service(token_id=token.pk, by=request.user)
    except AllocationError as exc:
        return _respond(request, doctor, error=exc.message)
    return _respond(request, doctor, ok=done(token))


@role_required(WORK_QUEUE, MANAGE_SCHEDULES)
@require_POST
def row_no_show(request, doctor_id):
    """No-show from a row of the queue table (one form for the table: a button per row)."""
    doctor = _doctor_or_403(request, doctor_id)
    token = Token.objects.filter(pk=request.POST.get("token"), doctor=doctor).first() if is_uuid(request.POST.get("token")) else None
    if token is None:
        return _respond(request, doctor, error="Choose a patient of this queue.")
    try:
        allocation.mark_no_show(token_id=token.pk, by=request.user)
    except AllocationError as exc:
        return _respond(request, doctor, error=exc.message)
    return _respond(request, doctor, ok=f"Token {token.token_label} marked as a no-show.")


@role_required(WORK_QUEUE, MANAGE_SCHEDULES)
@require_POST
def set_delay(request, doctor_id):
    doctor = _doctor_or_403(request, doctor_id)
    slot_id = request.POST.get("slot")
    todays = doctor.slots.filter(start_time__date=timezone.localdate())
    if not is_uuid(slot_id) or not todays.filter(pk=slot_id).exists():
        return _respond(request, doctor, error="Choose one of today's slots.")
    try:
        minutes = int(request.POST.get("delay_minutes", ""))
    except ValueError:
        return _respond(request, doctor, error="Enter the delay in whole minutes (0 clears it).")
    try:
        allocation.delay_slot(slot_id=slot_id, delay_minutes=minutes, by=request.user)
    except AllocationError as exc:
        return _respond(request, doctor, error=exc.message)
    ok = f"Running {minutes} min late: estimated times moved." if minutes else "Delay cleared."
    return _respond(request, doctor, ok=ok)
