"""The one locking allocation service: every change to a queue goes through here.

Every lock is taken through queues/locks.py (the slot's row, then its doctor's day ledger; see
docs/architecture.md). Counts are taken inside the locks; database constraints are the backstop.

Every change writes QueueEvent rows in the same transaction and schedules its broadcast for
after commit; changes a patient is told about write their notice (queues/outbox.py) in that same
transaction too.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from queues import broadcast, categories, locks, metrics, outbox, priority, selectors, sql, states
from queues.errors import (
    AlreadyBooked,
    CapacityTooSmall,
    InvalidRequest,
    InvalidTransition,
    NobodyArrived,
    SlotClosed,
    SlotNotFound,
    TokenNotFound,
    WaitingEntryNotFound,
)
from queues.models import Category, DoctorDay, QueueEvent, Token, WaitingListEntry
from scheduling import dates
from scheduling.models import MAX_DELAY_MINUTES, MAX_SLOT_CAPACITY, Doctor, Patient, Slot, token_label

Status = Token.Status


@dataclass
class BookingResult:
    """A booking ends confirmed (token) or on the waiting list (waiting_entry at `place`)."""

    token: Token | None = None
    waiting_entry: WaitingListEntry | None = None

    @property
    def confirmed(self) -> bool:
        return self.token is not None


# --- numbers and lookups -------------------------------------------------------------------


def _give_back_number(ledger_id: int) -> None:
    """A booking that ends on the waiting list gives back the number it took with its locks."""
    DoctorDay.objects.filter(pk=ledger_id).update(last_token_number=F("last_token_number") - 1)


def _token_slot_id(token_id):
    try:
        return Token.objects.values_list("slot_id", flat=True).get(pk=token_id)
    except (Token.DoesNotExist, ValueError, TypeError, ValidationError):
        raise TokenNotFound() from None


# --- checks -----------------------------------------------------------------------------------


def _ensure_open(slot: Slot, now: datetime) -> None:
    if slot.status == Slot.Status.CANCELLED:
        raise SlotClosed("This slot has been cancelled; choose another slot.")
    if selectors.has_ended(slot, now):
        end = timezone.localtime(slot.end_time)
        raise SlotClosed(f"This slot ended at {end:%H:%M}; choose a later slot.")


def _held_places(slot: Slot) -> int:
    return Token.objects.holding_a_place().filter(slot=slot).count()


def _refuse_double_booking(state: dict, slot: Slot, patient_id) -> None:
    """The refusal names what the patient already has (its id for the API, read only on this
    rare path), so a client can find it."""
    if state["active_token"] is None and not state["waiting"]:
        return
    doctor = slot.doctor.name
    same_day = {"doctor_id": slot.doctor_id, "day": slot.local_day, "patient_id": patient_id}
    if state["active_token"] is not None:
        token_id = Token.objects.filter(**same_day, status__in=Token.ACTIVE).values_list("pk", flat=True).first()
        raise AlreadyBooked(
            f"Already booked with {doctor} today (token {state['active_token']}); "
            "cancel that booking first to book another slot.",
            token_id=str(token_id),
        )
    entry_id = WaitingListEntry.objects.filter(**same_day, status=WaitingListEntry.Status.WAITING).values_list("pk", flat=True).first()
    raise AlreadyBooked(f"Already on {doctor}'s waiting list today.", waiting_entry_id=str(entry_id))


# --- writing ----------------------------------------------------------------------------------


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _event(kind, *, slot, token=None, waiting_entry=None, by=None, before=None, after=None, note="") -> QueueEvent:
    return QueueEvent(
        kind=kind,
        slot_id=slot.pk,
        token=token,
        waiting_entry=waiting_entry,
        actor=_actor(by),
        before=before,
        after=after,
        note=note[:200],
    )


def _record(kind, **details) -> None:
    _event(kind, **details).save()


def _label_for(slot: Slot, number: int, prefix: str | None = None) -> str:
    """The token's label; `prefix` comes with the booking's state query, else it is read (once
    per slot object: a promotion may issue several tokens)."""
    if prefix is None:
        doctor = getattr(slot, "_doctor_for_label", None)
        if doctor is None:
            doctor = slot._doctor_for_label = Doctor.objects.select_related("department").get(pk=slot.doctor_id)
        prefix = doctor.effective_token_prefix
    return token_label(prefix, number)


def _issue_token(*, slot, number, patient_id, category: Category, booked_at, kind, now, by=None, waiting_entry=None,
                 state: dict | None = None) -> Token:
    """Create a token with a number taken from the slot's day ledger, and its event. Patients
    of a category booked in person (walk-in, emergency) are present at once. The token is placed
    in the doctor's day before it is written, so it carries its position, estimate and first
    estimate (and, with the booking's `state`, its patient's name) for the answer."""
    present = category.checked_in_at_booking
    token = Token(
        slot_id=slot.pk,
        patient_id=patient_id,
        doctor_id=slot.doctor_id,
        day=slot.local_day,
        token_number=number,
        token_label=_label_for(slot, number, state["prefix"] if state else None),
        category=category.code,
        priority=category.base_priority,
        booked_at=booked_at,
        status=Status.ARRIVED if present else Status.CONFIRMED,
        arrived_at=now if present else None,
    )
    token.slot = slot
    if state:
        token.patient = Patient.from_db(connection.alias, ["id", "name"], [patient_id, state["patient_name"]])
    selectors.place_new_token(token, now)
    event = _event(kind, slot=slot, token=token, waiting_entry=waiting_entry, by=by, after=states.state_of(token))
    notice = _notice_of_new_token(kind, token, waiting_entry)
    sql.insert_together(token, event, *([notice] if notice else []))  # one statement on PostgreSQL, notice included
    if notice:
        outbox.dispatch_after_commit([notice.pk])
    return token


def _notice_of_new_token(kind, token: Token, waiting_entry: WaitingListEntry | None):
    if kind == QueueEvent.Kind.BOOKED:
        return outbox.for_token(outbox.Kind.BOOKED, token)
    if kind == QueueEvent.Kind.PROMOTED:
        return outbox.for_token(outbox.Kind.PROMOTED, token, was=waiting_entry.waiting_label if waiting_entry else "")
    return None  # an emergency is at the desk already


def _changed(slot: Slot, kind: str, **detail) -> None:
    broadcast.queue_changed(doctor_id=slot.doctor_id, slot_id=slot.pk, kind=kind, **detail)


# --- booking ----------------------------------------------------------------------------------


@metrics.counts_bookings
def book_token(*, slot_id, patient_id, category: str, booked_at: datetime | None = None, by=None) -> BookingResult:
    """Book a patient into a slot: a token while the slot has room, else a place on its
    waiting list. EMERGENCY goes through `insert_emergency` (head of the queue, over capacity)."""
    chosen = categories.bookable(category)
    if chosen.code == Category.EMERGENCY:
        return BookingResult(token=insert_emergency(slot_id=slot_id, patient_id=patient_id, by=by))
    now = timezone.now()
    booked_at = _validate_booked_at(booked_at, now)
    # Optimistic: the number is taken with the locks, since most bookings confirm.
    with locks.slot_and_day_locked(slot_id) as (slot, ledger_id, number):
        _ensure_open(slot, now)
        _refuse_booked_before_opening(booked_at, slot)
        state = sql.patient_state(slot, patient_id)
        locks.after_check()
        _refuse_double_booking(state, slot, patient_id)
        if state["held"] < slot.max_capacity:
            token = _issue_token(
                slot=slot, number=number, patient_id=patient_id, category=chosen, booked_at=booked_at,
                kind=QueueEvent.Kind.BOOKED, by=by, now=now, state=state,
            )
            _changed(slot, "booked")
            return BookingResult(token=token)
        _give_back_number(ledger_id)
        entry = WaitingListEntry(
            slot_id=slot.pk,
            patient_id=patient_id,
            doctor_id=slot.doctor_id,
            day=slot.local_day,
            waiting_number=_take_waiting_number(ledger_id),
            category=chosen.code,
            priority=chosen.base_priority,
            booked_at=booked_at,
        )
        notice = outbox.for_entry(outbox.Kind.WAITLISTED, entry)
        sql.insert_together(entry, _event(QueueEvent.Kind.WAITLISTED, slot=slot, waiting_entry=entry, by=by,
                                           after={"category": chosen.code, "waiting_number": entry.waiting_number}), notice)
        outbox.dispatch_after_commit([notice.pk])
        _changed(slot, "waitlisted")
        selectors.annotate_waiting_places([entry], now)
        return BookingResult(waiting_entry=entry)


def _take_waiting_number(ledger_id: int) -> int:
    DoctorDay.objects.filter(pk=ledger_id).update(last_waiting_number=F("last_waiting_number") + 1)
    return DoctorDay.objects.values_list("last_waiting_number", flat=True).get(pk=ledger_id)


def _validate_booked_at(booked_at: datetime | None, now: datetime) -> datetime:
    if booked_at is None:
        return now
    if timezone.is_naive(booked_at):
        raise InvalidRequest("booked_at must include a time zone.", field="booked_at")
    if booked_at > now:
        raise InvalidRequest("booked_at cannot be in the future.", field="booked_at")
    return booked_at


def _refuse_booked_before_opening(booked_at: datetime, slot: Slot) -> None:
    """A booking time earns a waiting bonus and breaks ties: one dated before bookings for the
    slot's day opened (BOOKING_OPENS_DAYS ahead, at local midnight) would buy the front of the queue."""
    opened = dates.bookings_open_at(slot.local_day)
    if booked_at < opened:
        raise InvalidRequest(
            f"booked_at is before bookings for {slot.local_day:%d %b %Y} opened ({timezone.localtime(opened):%d %b %Y %H:%M}).",
            field="booked_at",
        )


@metrics.counts_bookings
def insert_emergency(*, slot_id, patient_id, by=None) -> Token:
    """Put an emergency patient at the head of the doctor's queue, even over capacity."""
    now = timezone.now()
    emergency = categories.bookable(Category.EMERGENCY)
    with locks.slot_and_day_locked(slot_id) as (slot, _, number):
        _ensure_open(slot, now)
        state = sql.patient_state(slot, patient_id)
        locks.after_check()
        _refuse_double_booking(state, slot, patient_id)
        token = _issue_token(
            slot=slot, number=number, patient_id=patient_id, category=emergency, booked_at=now,
            kind=QueueEvent.Kind.EMERGENCY, by=by, now=now, state=state,
        )
        _changed(slot, "emergency")
        return token


# --- token state changes --------------------------------------------------------------------


@contextmanager
def _token_locked(token_id):
    """A transaction holding the token's slot lock, then its doctor's day ledger (every change
    to a token is serialised with the doctor's whole day: "call next" and skip read it);
    yields (slot, token)."""
    with locks.slot_locked(_token_slot_id(token_id)) as slot:
        locks.day(slot.doctor_id, slot.local_day)
        token = Token.objects.select_related("patient").get(pk=token_id)
        if token.slot_id != slot.pk:  # moved between our two reads: cannot happen today, guard anyway
            raise TokenNotFound()
        yield slot, token


def _place_behind(token: Token, anchor: Token | None, now: datetime) -> None:
    """Put the token right behind `anchor` in the day order (None: back to its own place).
    Whoever was placed behind this token goes back to their own place: it no longer holds one."""
    token.behind_id = anchor.pk if anchor else None
    token.requeued_at = now if anchor else None
    Token.objects.filter(behind_id=token.pk).update(behind=None, requeued_at=None)


def _day_order(slot: Slot, now: datetime) -> list[Token]:
    return selectors.day_queue(doctor_id=slot.doctor_id, day=slot.local_day, now=now, with_patients=False).order


def _twin(order: list[Token], token: Token) -> Token:
    """The token's copy in a freshly read day order (the order's items are other instances)."""
    return next(t for t in order if t.pk == token.pk)


def _change_token(token_id, to: str, kind: str, *, by=None, note: str = "", update=None, action: str | None = None,
                  only_if=None, now=None) -> Token | None:
    """Move a token to `to` under its locks; `update(token, slot, now)` changes what else the
    move needs and may return a note for the event. `action` names a staff action whose
    starting status the token must have (states.ACTIONS). With `only_if(token, slot, now)` false
    (checked under the locks) nothing changes and None is returned."""
    now = now or timezone.now()
    with _token_locked(token_id) as (slot, token):
        if only_if is not None and not only_if(token, slot, now):
            return None
        if action:
            states.check_action(token, action)
        before = states.move(token, to, now)
        if update:
            note = update(token, slot, now) or note
        token.save()
        _record(kind, slot=slot, token=token, by=by, before=before, after=states.state_of(token), note=note)
        if to == Status.NO_SHOW:
            outbox.write([outbox.for_token(outbox.Kind.NO_SHOW, token)])
        if to in (Status.CANCELLED, Status.NO_SHOW):
            _fill_free_places(slot, now, by)
        if to == Status.COMPLETED:
            selectors.forget_pace(slot.doctor_id)  # a new consultation time to measure
        _changed(slot, kind.lower())
        return token


def cancel_token(*, token_id, reason: str = "", by=None) -> Token:
    """Cancel a confirmed or arrived token; its place goes to the best waiting patient."""
    reason = (reason or "").strip()[:200]

    def set_reason(token, slot, now):
        token.cancel_reason = reason

    return _change_token(token_id, Status.CANCELLED, QueueEvent.Kind.CANCELLED, by=by, note=reason, update=set_reason)


def mark_no_show(*, token_id, by=None) -> Token:
    """The patient did not come (or left): their place goes to the best waiting patient."""
    return _change_token(token_id, Status.NO_SHOW, QueueEvent.Kind.NO_SHOW, by=by)


def mark_overdue_no_show(*, token_id, now: datetime | None = None) -> Token | None:
    """The worker's no-show: a booked patient not checked in by their slot's delayed end plus
    the doctor's grace period (priority.no_show_deadline) is marked a no-show; their place goes
    to the waiting list (who are told) and they are told how to be reinstated at the desk.
    Rechecked under the locks, so a check-in a moment before wins; None if it did."""

    def still_overdue(token, slot, now):
        grace = Doctor.objects.values_list("no_show_grace_minutes", flat=True).get(pk=slot.doctor_id)
        deadline = priority.no_show_deadline(slot.end_time, selectors.effective_delay(slot), grace)
        return token.status == Status.CONFIRMED and now >= deadline

    return _change_token(token_id, Status.NO_SHOW, QueueEvent.Kind.NO_SHOW, only_if=still_overdue, now=now,
                         note="not checked in within the grace period after the slot's end")


def check_in(*, token_id, by=None) -> Token:
    """The patient has arrived and can be called. On time, they take their own place in the
    day order; after their slot has ended, they join the end of the present queue (number kept)."""
    late = []

    def join_if_late(token, slot, now):
        if not selectors.has_ended(slot, now):
            return None
        order = _day_order(slot, now)
        _place_behind(token, priority.end_of_present_queue(order, _twin(order, token)), now)
        late.append(token)
        return "arrived after the slot ended: joined the end of the queue"

    token = _change_token(token_id, Status.ARRIVED, QueueEvent.Kind.ARRIVED, by=by, update=join_if_late)
    token.joined_at_end = bool(late)
    return token


def reinstate_token(*, token_id, by=None) -> Token:
    """A patient marked as a no-show has turned up the same day: back in the queue, at the end
    of the present queue, with the same number. Over the slot's capacity if it has filled since
    (like an emergency: the patient already held a place today)."""
    now = timezone.now()
    with _token_locked(token_id) as (slot, token):
        if token.day != timezone.localdate(now):
            raise InvalidTransition(f"Token {token.token_label} was for {token.day:%d %b}; book the patient again.")
        other = (
            Token.objects.filter(doctor_id=token.doctor_id, day=token.day, patient_id=token.patient_id, status__in=Token.ACTIVE)
            .exclude(pk=token.pk).values_list("token_label", flat=True).first()
        )
        if other:
            raise AlreadyBooked(f"{token.patient.name} already has token {other} with this doctor today.")
        before = states.move(token, Status.ARRIVED, now)
        order = _day_order(slot, now)
        token.skip_count = 0
        _place_behind(token, priority.end_of_present_queue(order, token), now)
        token.save()
        _record(QueueEvent.Kind.REINSTATED, slot=slot, token=token, by=by, before=before, after=states.state_of(token),
                note="turned up after a no-show: joined the end of the queue")
        _changed(slot, "reinstated")
        return token


def complete_token(*, token_id, by=None) -> Token:
    return _change_token(token_id, Status.COMPLETED, QueueEvent.Kind.COMPLETED, by=by)


def skip_token(*, token_id, by=None) -> Token:
    """A called patient is not at the door: back to the queue right behind the next present
    patient (so "call next" calls someone else), callable again after them."""
    outcome = {}

    def behind_next_present(token, slot, now):
        token.skip_count += 1
        order = _day_order(slot, now)
        anchor = priority.skip_anchor(order, _twin(order, token))
        _place_behind(token, anchor, now)
        outcome["behind"] = anchor.token_label if anchor else None

    token = _change_token(token_id, Status.ARRIVED, QueueEvent.Kind.SKIPPED, by=by, update=behind_next_present, action="skip")
    token.skipped_behind = outcome.get("behind")
    return token


def recall_token(*, token_id, by=None) -> Token:
    """Call the patient now with the doctor again (the board announces it once more)."""
    with _token_locked(token_id) as (slot, token):
        if token.status != Status.CALLED:
            raise InvalidTransition(
                f"Token {token.token_label} is {token.get_status_display().lower()}; only a called patient can be called again."
            )
        _record(QueueEvent.Kind.RECALLED, slot=slot, token=token, by=by, after=states.state_of(token))
        _changed(slot, "recalled")
        return token


def _nobody_to_call(queue_tokens: list[Token]) -> NobodyArrived:
    expected = sum(1 for t in queue_tokens if t.status == Status.CONFIRMED)
    hint = (f"{expected} booked patient(s) have not checked in yet; reception checks them in."
            if expected else "The queue is empty.")
    return NobodyArrived(f"Nobody has checked in to call. {hint}")


def call_next_for_doctor(*, doctor_id, day=None, by=None, slot_id=None) -> Token:
    """Call the first present patient of the doctor's day order (of one slot with `slot_id`).
    A patient still with the doctor is completed first: calling the next patient means the
    previous consultation is over.

    Locks only the doctor's day ledger: calling changes no slot's places, and every other
    token change takes the ledger after its slot, so all of them are serialised with this."""
    now = timezone.now()
    day = day or timezone.localdate(now)
    with locks.atomic():
        locks.day(doctor_id, day)
        order = selectors.day_queue(doctor_id=doctor_id, day=day, now=now).order
        candidates = [t for t in order if slot_id is None or str(t.slot_id) == str(slot_id)]
        token = priority.next_to_call(candidates)
        locks.after_check()
        if token is None:
            raise _nobody_to_call(candidates)
        completed = []
        for current in (t for t in order if t.status == Status.CALLED):
            _complete_with_doctor(current, current.slot_obj, now, by, note="completed by calling the next patient")
            completed.append(current.token_label)
        if completed:
            selectors.forget_pace(doctor_id)
        before = states.move(token, Status.CALLED, now)
        token.behind_id, token.requeued_at = None, None
        token.save(update_fields=["status", "called_at", "behind", "requeued_at", "updated_at"])
        _record(QueueEvent.Kind.CALLED, slot=token.slot_obj, token=token, by=by, before=before, after=states.state_of(token))
        outbox.write([outbox.for_token(outbox.Kind.CALLED, token, room=token.slot_obj.doctor.room)]
                     + _nearly_there(order, called=token))
        _changed(token.slot_obj, "called")
        token.completed_labels = completed  # so the page can say so
        return token


def _nearly_there(order: list[Token], *, called: Token) -> list:
    """Notices for the first N patients still waiting after a call (N: the doctor's
    notify_when_ahead); whoever was told already is not told again (the outbox's key)."""
    near = called.slot_obj.doctor.notify_when_ahead
    waiting = [t for t in order if t.status in (Status.CONFIRMED, Status.ARRIVED) and t.pk != called.pk]
    return [outbox.for_token(outbox.Kind.NEAR, t, place=place) for place, t in enumerate(waiting[:near], start=1)]


def _complete_with_doctor(token: Token, slot: Slot, now: datetime, by, *, note: str) -> None:
    """The patient with the doctor is done because something else moved on (the next call, the
    slot's cancellation): completed, with the reason in the event."""
    before = states.move(token, Status.COMPLETED, now)
    token.save(update_fields=["status", "completed_at", "updated_at"])
    _record(QueueEvent.Kind.COMPLETED, slot=slot, token=token, by=by, before=before, after=states.state_of(token), note=note)


def call_next(*, slot_id, by=None) -> Token:
    """Call the first present patient of this slot, in the doctor's day order."""
    try:
        slot = Slot.objects.get(pk=slot_id)
    except (Slot.DoesNotExist, ValueError, TypeError, ValidationError):
        raise SlotNotFound() from None
    if slot.status == Slot.Status.CANCELLED:
        raise SlotClosed("This slot has been cancelled.")
    return call_next_for_doctor(doctor_id=slot.doctor_id, day=slot.local_day, by=by, slot_id=slot.pk)


# --- waiting list -----------------------------------------------------------------------------


def _fill_free_places(slot: Slot, now: datetime, by=None) -> list[Token]:
    """Promote waiting patients, best priority first, while the slot is below capacity.
    Must run inside the slot's lock."""
    if slot.status == Slot.Status.CANCELLED:
        return []
    free = slot.max_capacity - _held_places(slot)
    if free <= 0:
        return []
    waiting = WaitingListEntry.objects.filter(slot=slot, status=WaitingListEntry.Status.WAITING)
    chosen = priority.serving_order(waiting, now)[:free]
    if not chosen:
        return []
    ledger_id, last_number = locks.day(slot.doctor_id, slot.local_day)
    DoctorDay.objects.filter(pk=ledger_id).update(last_token_number=last_number + len(chosen))
    known = categories.all_by_code()
    promoted = []
    for number, entry in enumerate(chosen, start=last_number + 1):
        category = known.get(entry.category) or categories.bookable(entry.category)
        token = _issue_token(
            slot=slot, number=number, patient_id=entry.patient_id, category=category, booked_at=entry.booked_at,
            kind=QueueEvent.Kind.PROMOTED, by=by, waiting_entry=entry, now=now,
        )
        entry.status = WaitingListEntry.Status.PROMOTED
        entry.token = token
        entry.resolved_at = now
        entry.save(update_fields=["status", "token", "resolved_at"])
        promoted.append(token)
        _changed(slot, "promoted", message=f"Waiting list {entry.waiting_label} promoted: token {token.token_label}.")
    return promoted


def cancel_waiting_entry(*, entry_id, reason: str = "", by=None) -> WaitingListEntry:
    try:
        slot_id = WaitingListEntry.objects.values_list("slot_id", flat=True).get(pk=entry_id)
    except (WaitingListEntry.DoesNotExist, ValueError, TypeError, ValidationError):
        raise WaitingEntryNotFound() from None
    with locks.slot_locked(slot_id) as slot:
        entry = WaitingListEntry.objects.get(pk=entry_id)
        if entry.status != WaitingListEntry.Status.WAITING:
            raise InvalidTransition(f"This entry is already {entry.get_status_display().lower()}.")
        entry.status = WaitingListEntry.Status.CANCELLED
        entry.resolved_at = timezone.now()
        entry.cancel_reason = (reason or "").strip()[:200]
        entry.save(update_fields=["status", "resolved_at", "cancel_reason"])
        _record(QueueEvent.Kind.WAITLIST_CANCELLED, slot=slot, waiting_entry=entry, by=by, note=entry.cancel_reason)
        _changed(slot, "waitlist_cancelled")
        return entry


# --- slots ------------------------------------------------------------------------------------


def delay_slot(*, slot_id, delay_minutes: int, by=None) -> Slot:
    """Set the slot's total delay (replacing any earlier one; 0 clears it). Estimated times of
    this slot and of the doctor's later slots that day move with it."""
    if isinstance(delay_minutes, bool) or not isinstance(delay_minutes, int):
        raise InvalidRequest("The delay must be a whole number of minutes.", field="delay_minutes")
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise InvalidRequest(
            f"The delay must be between 0 and {MAX_DELAY_MINUTES} minutes (one day).", field="delay_minutes"
        )
    with locks.slot_locked(slot_id) as slot:
        if slot.status == Slot.Status.CANCELLED:
            raise SlotClosed("This slot has been cancelled; a delay no longer applies.")
        before = {"delay_minutes": slot.delay_minutes, "status": slot.status}
        later = delay_minutes > slot.delay_minutes
        estimates = _estimates(slot) if later else {}
        slot.delay_minutes = delay_minutes
        slot.status = Slot.Status.DELAYED if delay_minutes else Slot.Status.ACTIVE
        slot.save(update_fields=["delay_minutes", "status"])
        _record(QueueEvent.Kind.DELAY_SET, slot=slot, by=by, before=before,
                after={"delay_minutes": delay_minutes, "status": slot.status})
        if later:
            outbox.write(_delay_notices(slot, estimates))
        _changed(slot, "delayed")
        return slot


def _estimates(slot: Slot) -> dict:
    order = selectors.day_queue(doctor_id=slot.doctor_id, day=slot.local_day, now=timezone.now()).order
    return {t.pk: (t, t.estimated_time) for t in order}


def _delay_notices(slot: Slot, before: dict) -> list:
    """Notices for the doctor's patients whose estimate moved later by more than
    NOTICE_DELAY_MINUTES (the slot's delay cascades to the doctor's later slots)."""
    threshold = settings.NOTICE_DELAY_MINUTES * 60
    notices = []
    for pk, (token, estimate) in _estimates(slot).items():
        earlier = before.get(pk, (None, None))[1]
        if estimate is None or earlier is None or (estimate - earlier).total_seconds() <= threshold:
            continue
        minutes = round((estimate - earlier).total_seconds() / 60)
        notices.append(outbox.for_token(outbox.Kind.DELAYED, token, key=f"DELAYED:{estimate:%H%M}", minutes=minutes,
                                        estimate=estimate.isoformat()))
    return notices


@dataclass
class SlotCancellation:
    slot: Slot
    cancelled_tokens: list[Token]
    cancelled_entries: list[WaitingListEntry]


def cancel_slot(*, slot_id, reason: str = "", by=None) -> SlotCancellation:
    """Cancel a slot and every booking in it; returns them so staff can rebook the patients."""
    now = timezone.now()
    reason = (reason or "").strip()[:200] or "Slot cancelled"
    with locks.slot_locked(slot_id) as slot:
        locks.day(slot.doctor_id, slot.local_day)  # "call next" takes only the ledger: wait for it, or it for us
        if slot.status == Slot.Status.CANCELLED:
            raise SlotClosed("This slot is already cancelled.")
        before = {"status": slot.status}
        slot.status = Slot.Status.CANCELLED
        slot.save(update_fields=["status"])
        _record(QueueEvent.Kind.SLOT_CANCELLED, slot=slot, by=by, before=before, after={"status": slot.status}, note=reason)
        tokens = list(
            Token.objects.filter(slot=slot, status__in=(Status.CONFIRMED, Status.ARRIVED, Status.CALLED))
            .select_related("patient")
        )
        locks.after_check()
        for token in tokens:
            if token.status == Status.CALLED:  # with the doctor: that consultation is over
                _complete_with_doctor(token, slot, now, by, note="completed when the slot was cancelled")
                continue
            before = states.move(token, Status.CANCELLED, now)
            token.cancel_reason = reason
            token.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
            _record(QueueEvent.Kind.CANCELLED, slot=slot, token=token, by=by, before=before,
                    after=states.state_of(token), note=reason)
        entries = list(
            WaitingListEntry.objects.filter(slot=slot, status=WaitingListEntry.Status.WAITING).select_related("patient")
        )
        for entry in entries:
            entry.status = WaitingListEntry.Status.CANCELLED
            entry.resolved_at = now
            entry.cancel_reason = reason
            entry.save(update_fields=["status", "resolved_at", "cancel_reason"])
            _record(QueueEvent.Kind.WAITLIST_CANCELLED, slot=slot, waiting_entry=entry, by=by, note=reason)
        cancelled = [t for t in tokens if t.status == Status.CANCELLED]
        outbox.write([outbox.for_token(outbox.Kind.SLOT_CANCELLED, t, reason=reason) for t in cancelled]
                     + [outbox.for_entry(outbox.Kind.SLOT_CANCELLED, e, reason=reason) for e in entries])
        _changed(slot, "slot_cancelled")
        return SlotCancellation(slot=slot, cancelled_tokens=cancelled, cancelled_entries=entries)


def change_capacity(*, slot_id, max_capacity: int, by=None) -> Slot:
    """Change how many patients the slot takes: never below the places it already holds; room
    that opens up goes to the waiting list at once."""
    if isinstance(max_capacity, bool) or not isinstance(max_capacity, int) or not 1 <= max_capacity <= MAX_SLOT_CAPACITY:
        raise InvalidRequest(f"A slot's capacity must be between 1 and {MAX_SLOT_CAPACITY}.", field="max_capacity")
    now = timezone.now()
    with locks.slot_locked(slot_id) as slot:
        held = _held_places(slot)
        if max_capacity < held and max_capacity < slot.max_capacity:
            raise CapacityTooSmall(
                f"The slot already holds {held} patients; its capacity cannot go below {held}."
            )
        before = {"max_capacity": slot.max_capacity}
        slot.max_capacity = max_capacity
        slot.save(update_fields=["max_capacity"])
        _record(QueueEvent.Kind.CAPACITY_CHANGED, slot=slot, by=by, before=before, after={"max_capacity": max_capacity})
        _fill_free_places(slot, now, by)
        _changed(slot, "capacity_changed")
        return slot
