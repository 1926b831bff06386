"""The reception desk: find or register a patient, book, and look after today's slots.

Thin views: parse the form, call the allocation service, render. One page (desk.html) with its
fragments as partials; HTMX requests get the fragment named by their target. Dialog steps
(cancel a token, delay or cancel a slot, confirm an emergency) live in desk_action.html.
"""

import re
import uuid
from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from config.ids import is_uuid
from config.permissions import role_required
from queues import allocation, selectors
from queues.errors import AllocationError
from queues.filters import PatientSearch
from queues.forms import BookingForm, DelayForm, PatientForm, ReasonForm
from queues.models import Notice, Token, WaitingListEntry
from queues.tables import QueueTable, WaitingTable
from scheduling import abha_qr, patients
from scheduling.errors import PossibleDuplicate
from scheduling.identity import InvalidIdentifier
from scheduling.models import Patient, Slot
from scheduling.roles import USE_DESK

PAGE = "queues/desk.html"
ACTION = "queues/desk_action.html"
LIVE_SOCKET = "/ws/desk/"
RECENT_REQUESTS = 50  # booking forms remembered per session, so a resent form books once
CANCEL_REASONS = ["Patient asked to cancel", "Booked in error", "Patient unwell, will come another day", "Doctor unavailable"]



# --- reading ------------------------------------------------------------------------------------


def _board():
    """Today's slots grouped by doctor: [(doctor, [slots])], with each slot's counts."""
    grouped = defaultdict(list)
    for slot in selectors.slot_board(day=timezone.localdate()):
        grouped[slot.doctor].append(slot)
    return list(grouped.items())


def _doctor_slots(board, doctor_id):
    return next((slots for doctor, slots in board if str(doctor.pk) == str(doctor_id)), [])


def _poll_seconds():
    # A fallback only: pushes over the desk socket refresh the panels of the changed doctor.
    return getattr(settings, "DESK_POLL_SECONDS", 60)


def _patient_from(value):
    return Patient.objects.filter(pk=value).first() if is_uuid(value) else None


def _booking_form(board, *, patient=None, doctor_id=None, data=None):
    open_slots = [s for _, slots in board for s in slots if s.open]
    if data is not None:
        return BookingForm(data, slots=open_slots)
    slots = [s for s in _doctor_slots(board, doctor_id) if s.open]
    chosen = selectors.preselected_slot(slots)
    initial = {"patient": patient, "doctor": doctor_id, "slot": chosen, "request_id": uuid.uuid4()}
    return BookingForm(initial=initial, slots=open_slots)


def _slot_context(board, slot_id):
    """The slot panel: the chosen slot (with the board's counts), its queue and waiting list."""
    slot = next((s for _, slots in board for s in slots if str(s.pk) == str(slot_id)), None)
    if slot is None and is_uuid(slot_id):  # another day's slot, or a doctor no longer active
        found = Slot.objects.filter(pk=slot_id).first()
        slot = found and next(s for s in selectors.slot_board(day=found.local_day) if s.pk == found.pk)
    if not slot:
        return {"panel_slot": None}
    return {
        "panel_slot": slot,
        "queue_table": QueueTable(_with_notices(selectors.queue_for_slot(slot=slot))),
        "waiting_table": WaitingTable(selectors.waiting_list_for_slot(slot=slot)),
    }


def _with_notices(tokens):
    """Each token's notices and their deliveries (queued, sent, delivered, failed and why), in two queries."""
    prefetch_related_objects(tokens, Prefetch("notices", queryset=Notice.objects.order_by("created_at")), "notices__deliveries")
    return tokens


def _search(q):
    if not q or not q.strip():
        return None
    return PatientSearch({"q": q}, queryset=Patient.objects.all()).qs[:8]


TOKEN_QUERY = re.compile(r"^(?:([A-Za-z0-9]{1,4})-)?(\d{1,5})$")


def _token_search(q):
    """Today's tokens a receptionist may have typed: "C-12" (a label) or "12" (a number, any doctor)."""
    match = TOKEN_QUERY.match(q.replace(" ", "")) if q else None
    if not match:
        return []
    tokens = Token.objects.filter(day=timezone.localdate()).select_related("patient", "doctor", "slot")
    if match.group(1):
        tokens = tokens.filter(token_label__iexact=q.replace(" ", ""))
    else:
        tokens = tokens.filter(token_number=int(match.group(2)))
    return list(tokens.order_by("doctor__name")[:8])


def _patient_today(patient):
    """The patient's tokens and waiting-list entries of today, with every doctor: what a late
    arrival or a returning no-show needs at the desk."""
    if patient is None:
        return [], []
    today, now = timezone.localdate(), timezone.now()
    tokens = list(
        Token.objects.filter(patient=patient, day=today)
        .exclude(status=Token.Status.CANCELLED).select_related("doctor", "slot", "patient").order_by("slot__start_time")
    )
    for t in tokens:
        t.slot_ended = selectors.has_ended(t.slot, now)
    entries = list(
        WaitingListEntry.objects.filter(patient=patient, day=today, status=WaitingListEntry.Status.WAITING)
        .select_related("doctor__department", "patient")
    )
    return tokens, entries


def _page_context(request, **extra):
    board = _board()
    typed = request.GET.get("q", "").strip()
    scan = _scan(typed[:MAX_QR_TEXT]) if abha_qr.looks_like_abha_qr(typed) else {}
    q = "" if scan else typed[:100]
    patient = extra.pop("patient", None) or _patient_from(request.GET.get("patient"))
    doctor_id = request.GET.get("doctor") or request.POST.get("doctor")
    doctor_id = doctor_id if is_uuid(doctor_id) else None
    results = scan.get("results") if scan else _search(q)
    token_results = _token_search(q)
    patient_today, patient_waiting = _patient_today(patient)
    initial = scan["scanned"].registration() if scan.get("scanned") else _register_initial(q)
    context = {
        "nav": "desk",
        "live_socket": LIVE_SOCKET,
        "poll_seconds": _poll_seconds(),
        "board": board,
        "q": q,
        "results": results,
        "token_results": token_results,
        "patient_today": patient_today,
        "patient_waiting": patient_waiting,
        "register_form": PatientForm(initial=initial) if results is not None and not results else None,
        **scan,
        "patient": patient,
        "form": extra.pop("form", None) or _booking_form(board, patient=patient, doctor_id=doctor_id),
        "doctor_slots": [s for s in _doctor_slots(board, doctor_id) if s.open],
        "now": timezone.now(),
        **_slot_context(board, request.GET.get("slot")),
    }
    context.update(extra)
    return context


MAX_QR_TEXT = 2000  # an ABHA QR's JSON is a few hundred characters


def _scan(text):
    """Scan & Pull: a USB scanner typed an ABHA QR into the search box. The patients holding its
    ABHA, or (nobody) its details for the registration form; or why it could not be read."""
    try:
        scanned = abha_qr.parse_abha_qr(text)
    except InvalidIdentifier as exc:
        return {"scan_error": f"Could not read the ABHA QR code: {exc}", "results": None}
    return {"scanned": scanned, "results": list(abha_qr.patients_with_abha(Patient.objects.all(), scanned)[:8])}


def _register_initial(q):
    """Whatever was searched for becomes the phone or the name of the new patient."""
    digits = q.replace(" ", "").lstrip("+")
    return {"phone": q} if digits.isdigit() else {"name": q}


@require_GET
@role_required(USE_DESK)
@vary_on_headers("HX-Request", "HX-Target")
def desk(request):
    if request.htmx and is_uuid(request.GET.get("board_doctor")):
        return _doctor_row(request, request.GET["board_doctor"])
    context = _page_context(request)
    if context["patient"] is not None and (not request.htmx or request.htmx.target == "book-panel"):
        # Opened, not a live refresh of a record already open (#patient-today).
        patients.record_view(patient=context["patient"], by=request.user, via="desk")
    if request.htmx and request.htmx.target in {"patient-results", "book-panel", "patient-today", "slot-field", "slot-board", "slot-panel"}:
        return render(request, f"{PAGE}#{request.htmx.target}", context)
    return render(request, PAGE, context)


def _doctor_row(request, doctor_id):
    """One doctor's row of the slot board: what a desk refreshes when that doctor's queue changes."""
    slots = selectors.slot_board(day=timezone.localdate(), doctor_id=doctor_id)
    if not slots:
        return HttpResponse("")
    panel = Slot.objects.filter(pk=request.GET["slot"]).first() if is_uuid(request.GET.get("slot")) else None
    context = {"doctor": slots[0].doctor, "slots": slots, "panel_slot": panel}
    return render(request, f"{PAGE}#doctor-row", context)


# --- booking ------------------------------------------------------------------------------------


def _book_panel(request, status=200, **extra):
    """The booking panel after a POST: for HTMX just the fragment, else the whole page."""
    context = _page_context(request, **extra)
    template = f"{PAGE}#book-panel" if request.htmx else PAGE
    return render(request, template, context, status=status)


def _result_for(kind, pk):
    if kind == "token":
        token = Token.objects.select_related("patient", "slot__doctor").get(pk=pk)
        return {"result_token": selectors.annotate_tokens([token])[0]}
    entry = WaitingListEntry.objects.select_related("patient", "slot__doctor").get(pk=pk)
    return {"result_entry": selectors.annotate_waiting_places([entry])[0]}


def _booked(request, kind, pk, request_id=None):
    if request_id:
        seen = request.session.get("desk_requests", {})
        seen[str(request_id)] = [kind, str(pk)]
        request.session["desk_requests"] = dict(list(seen.items())[-RECENT_REQUESTS:])
    if not request.htmx:  # post/redirect/get: reloading the result page books nothing
        return redirect(f"{reverse('queues:desk-result')}?{kind}={pk}")
    response = _book_panel(request, **_result_for(kind, pk))
    return trigger_client_event(trigger_client_event(response, "queue-changed"), "booked")


def _refused(request, form, message, patient):
    form.add_error(None, message)
    return _book_panel(request, form=form, patient=patient, status=200 if request.htmx else 409)


@require_POST
@role_required(USE_DESK)
def book(request):
    board = _board()
    form = _booking_form(board, data=request.POST)
    patient = _patient_from(request.POST.get("patient"))
    if not form.is_valid():
        return _book_panel(request, form=form, patient=patient, status=200 if request.htmx else 400)
    data = form.cleaned_data
    seen = request.session.get("desk_requests", {}).get(str(data["request_id"])) if data["request_id"] else None
    if seen:  # the same form sent again (double click, resend): show the first result
        return _booked(request, *seen)
    slot = data["slot"] or selectors.preselected_slot(_doctor_slots(board, data["doctor"].pk))
    if slot is None:
        return _refused(request, form, f"{data['doctor'].name} has no open slot left today.", patient)
    try:
        result = allocation.book_token(
            slot_id=slot.pk, patient_id=data["patient"].pk, category=data["category"], by=request.user
        )
    except AllocationError as exc:
        return _refused(request, form, exc.message, patient)
    if result.confirmed:
        return _booked(request, "token", result.token.pk, data["request_id"])
    return _booked(request, "entry", result.waiting_entry.pk, data["request_id"])


@require_GET
@role_required(USE_DESK)
def result(request):
    """Where a booking without JavaScript lands (post/redirect/get)."""
    kind = "token" if "token" in request.GET else "entry"
    pk = request.GET.get(kind)
    model = Token if kind == "token" else WaitingListEntry
    if not is_uuid(pk) or not model.objects.filter(pk=pk).exists():
        raise Http404("No such booking.")
    return render(request, PAGE, _page_context(request, **_result_for(kind, pk)))


@require_POST
@role_required(USE_DESK)
def register_patient(request):
    form = PatientForm(request.POST)
    duplicate = None
    if form.is_valid():
        try:
            patient = patients.register_patient(**form.registration())
        except PossibleDuplicate as exc:
            duplicate = exc
        else:
            if not request.htmx:
                return redirect(f"{reverse('queues:desk')}?patient={patient.pk}")
            return _book_panel(request, patient=patient)
    # Errors, or a possible duplicate: the form again, with what was typed and the match to choose.
    context = _page_context(request, register_form=form, results=[], q=request.POST.get("name", ""), duplicate=duplicate)
    if request.htmx:
        response = render(request, f"{PAGE}#patient-results", context)
        response["HX-Retarget"] = "#patient-results"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, PAGE, context, status=409 if duplicate else 400)


@require_POST
@role_required(USE_DESK)
def emergency(request):
    """Emergency insertion, in two deliberate steps: confirm where it goes, then insert."""
    board = _board()
    patient = _patient_from(request.POST.get("patient"))
    doctor_slots = _doctor_slots(board, request.POST.get("doctor"))
    slot = next((s for s in doctor_slots if str(s.pk) == request.POST.get("slot") and s.open), None)
    slot = slot or _first_open(doctor_slots)
    if patient is None or slot is None:
        if patient is None:
            error = "Find the patient first."
        elif doctor_slots:
            error = f"{doctor_slots[0].doctor.name} has no open slot left today."
        else:
            error = "Choose the doctor first."
        return _dialog(request, "emergency", {"error": error})
    if "confirmed" not in request.POST:
        return _dialog(request, "emergency", {"confirm": True, "patient": patient, "slot": slot})
    try:
        token = allocation.insert_emergency(slot_id=slot.pk, patient_id=patient.pk, by=request.user)
    except AllocationError as exc:
        return _dialog(request, "emergency", {"error": exc.message})
    return _booked(request, "token", token.pk)


def _first_open(slots):
    return next((s for s in slots if s.open), None)


# --- dialogs and actions --------------------------------------------------------------------------


def _dialog(request, step, context, status=200):
    """A deliberate step (a confirmation or a small form): in the desk's dialog for HTMX, else
    as a page of its own."""
    context = {"nav": "desk", "step": step, "reasons": CANCEL_REASONS, **context}
    if request.htmx:
        response = render(request, f"{ACTION}#action", context)
        response["HX-Retarget"] = "#desk-dialog-body"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, ACTION, context, status=status)


def _done(request, message, *, slot_id, level="success"):
    """After an action: HTMX refreshes the panels and shows the message; without JavaScript
    the desk reloads on the slot with the message."""
    if request.htmx:
        response = HttpResponse("")
        response["HX-Reswap"] = "none"
        if level == "success":
            trigger_client_event(response, "queue-changed")
        return trigger_client_event(response, "desk-notice", {"message": message, "level": level})
    getattr(messages, "success" if level == "success" else "error")(request, message)
    return redirect(f"{reverse('queues:desk')}?slot={slot_id}")


def _token(token_id):
    return get_object_or_404(Token.objects.select_related("patient", "slot__doctor"), pk=token_id)


def _token_step(request, token_id, service, done):
    token = _token(token_id)
    try:
        changed = service(token_id=token.pk, by=request.user)
    except AllocationError as exc:
        return _done(request, exc.message, slot_id=token.slot_id, level="danger")
    if getattr(changed, "joined_at_end", False):
        done += ": their slot has ended, so they join the end of the queue"
    return _done(request, f"Token {token.token_label} ({token.patient.name}) {done}.", slot_id=token.slot_id)


@require_POST
@role_required(USE_DESK)
def check_in(request, token_id):
    return _token_step(request, token_id, allocation.check_in, "checked in")


@require_POST
@role_required(USE_DESK)
def reinstate(request, token_id):
    return _token_step(request, token_id, allocation.reinstate_token, "is back in the queue, at its end")


@require_POST
@role_required(USE_DESK)
def no_show(request, token_id):
    return _token_step(request, token_id, allocation.mark_no_show, "marked as a no-show")


@require_http_methods(["GET", "POST"])
@role_required(USE_DESK)
def cancel_token(request, token_id):
    token = _token(token_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            allocation.cancel_token(token_id=token.pk, reason=form.cleaned_data["reason"], by=request.user)
        except AllocationError as exc:
            return _done(request, exc.message, slot_id=token.slot_id, level="danger")
        return _done(request, f"Token {token.token_label} ({token.patient.name}) cancelled.", slot_id=token.slot_id)
    return _dialog(request, "cancel-token", {"form": form, "token": token}, status=400 if form.errors else 200)


def _slot(slot_id):
    return get_object_or_404(Slot.objects.select_related("doctor"), pk=slot_id)


@require_http_methods(["GET", "POST"])
@role_required(USE_DESK)
def delay(request, slot_id):
    slot = _slot(slot_id)
    form = DelayForm(request.POST or None, initial={"delay_minutes": slot.delay_minutes})
    if request.method == "POST" and form.is_valid():
        minutes = form.cleaned_data["delay_minutes"]
        try:
            allocation.delay_slot(slot_id=slot.pk, delay_minutes=minutes, by=request.user)
        except AllocationError as exc:
            return _done(request, exc.message, slot_id=slot.pk, level="danger")
        start = timezone.localtime(slot.start_time)
        what = f"delayed by {minutes} min; later slots follow" if minutes else "back on time"
        return _done(request, f"{slot.doctor.name}'s {start:%H:%M} slot is {what}.", slot_id=slot.pk)
    return _dialog(request, "delay", {"form": form, "slot": slot}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@role_required(USE_DESK)
def cancel_slot(request, slot_id):
    slot = _slot(slot_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = allocation.cancel_slot(slot_id=slot.pk, reason=form.cleaned_data["reason"], by=request.user)
        except AllocationError as exc:
            return _dialog(request, "cancel-slot", {"form": form, "slot": slot, "error": exc.message})
        response = _dialog(request, "slot-cancelled", {"slot": slot, "outcome": outcome})
        return trigger_client_event(response, "queue-changed") if request.htmx else response
    held = selectors.queue_for_slot(slot=slot)
    waiting = selectors.waiting_list_for_slot(slot=slot)
    context = {"form": form, "slot": slot, "held": held, "waiting": waiting}
    return _dialog(request, "cancel-slot", context, status=400 if form.errors else 200)


@require_POST
@role_required(USE_DESK)
def cancel_waiting(request, entry_id):
    entry = get_object_or_404(WaitingListEntry.objects.select_related("patient"), pk=entry_id)
    try:
        allocation.cancel_waiting_entry(entry_id=entry.pk, reason="Removed at the desk", by=request.user)
    except AllocationError as exc:
        return _done(request, exc.message, slot_id=entry.slot_id, level="danger")
    return _done(request, f"{entry.patient.name} removed from the waiting list.", slot_id=entry.slot_id)
