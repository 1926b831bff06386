"""What a patient's own status page (/s/<code>/) shows, read from the database or brought up to
date from a doctor's pushed snapshot. Only this patient's token or waiting-list entry: label,
doctor, room, status, people ahead, estimate, delay, waiting place; initials, never a name or a
phone. Pure reads (the page, its websocket and the broadcaster share them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from queues import selectors
from queues.models import Token, WaitingListEntry


@dataclass
class PatientStatus:
    """One patient's place. `token_id` / `entry_id` say which row the page follows: a promoted
    entry's page follows its token from then on (`promoted_from` keeps the waiting label)."""

    code: str
    day: date
    doctor_id: object
    doctor_name: str
    room: str
    initials: str
    label: str
    status: str  # a Token.Status or WaitingListEntry.Status value
    token_id: object = None
    entry_id: object = None
    promoted_from: str = ""
    people_ahead: int | None = None
    estimated_time: datetime | None = None
    wait_minutes: int | None = None
    delay_minutes: int = 0
    waiting_place: int | None = None
    updated_at: datetime | None = None

    @property
    def is_waiting(self) -> bool:
        return self.entry_id is not None and self.token_id is None

    @property
    def called(self) -> bool:
        return self.status == Token.Status.CALLED

    @property
    def in_queue(self) -> bool:
        return self.status in (Token.Status.CONFIRMED, Token.Status.ARRIVED)

    @property
    def finished(self) -> bool:
        """Nothing more will change for this patient today (a no-show may still be reinstated)."""
        return self.status in (Token.Status.COMPLETED, Token.Status.CANCELLED, WaitingListEntry.Status.CANCELLED)


def initials(name: str) -> str:
    """"Jane Doe" -> "J. D." (the page confirms whose slip it is without showing the name)."""
    return " ".join(f"{part[0].upper()}." for part in name.split()[:3] if part)


def has_expired(day: date, now: datetime | None = None) -> bool:
    """A code works until the end of its token's local day."""
    return timezone.localdate(now or timezone.now()) > day


def status_path(code: str) -> str:
    return reverse("queues:status", args=[code])


def status_url(code: str, request=None) -> str:
    """The page's absolute URL: from PUBLIC_BASE_URL when set (what slips and the API print),
    else from the request's host."""
    path = status_path(code)
    if settings.PUBLIC_BASE_URL:
        return urljoin(settings.PUBLIC_BASE_URL.rstrip("/") + "/", path.lstrip("/"))
    return request.build_absolute_uri(path) if request is not None else path


def find(code: str) -> Token | WaitingListEntry | None:
    """The token or waiting-list entry with this status code (codes are lower case)."""
    code = (code or "").strip().lower()
    if not code or len(code) > 16:
        return None
    related = ("doctor", "patient")
    return (
        Token.objects.select_related(*related).filter(status_code=code).first()
        or WaitingListEntry.objects.select_related(*related, "token__doctor", "token__patient").filter(status_code=code).first()
    )


def status_of(found: Token | WaitingListEntry, *, now: datetime | None = None) -> PatientStatus:
    """The patient's status now, from the database (a few queries: their doctor's day order)."""
    now = now or timezone.now()
    if isinstance(found, WaitingListEntry):
        entry = found
        if entry.token_id:
            status = _token_status(entry.token, entry.status_code, now)
            status.entry_id, status.promoted_from = entry.pk, entry.waiting_label
            return status
        selectors.annotate_waiting_places([entry], now)
        return PatientStatus(
            code=entry.status_code, day=entry.day, doctor_id=entry.doctor_id, doctor_name=entry.doctor.name,
            room=entry.doctor.room, initials=initials(entry.patient.name), label=entry.waiting_label,
            status=entry.status, entry_id=entry.pk, waiting_place=entry.place,
            delay_minutes=selectors.effective_delay(entry.slot) if entry.status == WaitingListEntry.Status.WAITING else 0,
            updated_at=now,
        )
    return _token_status(found, found.status_code, now)


def _token_status(token: Token, code: str, now: datetime) -> PatientStatus:
    status = PatientStatus(
        code=code, day=token.day, doctor_id=token.doctor_id, doctor_name=token.doctor.name, room=token.doctor.room,
        initials=initials(token.patient.name), label=token.token_label, status=token.status, token_id=token.pk,
        updated_at=now,
    )
    if token.status in Token.ACTIVE:
        queue = selectors.day_queue(doctor_id=token.doctor_id, day=token.day, now=now, with_patients=False)
        apply_snapshot(status, snapshot_of(queue, []), now=now)
    return status


# --- pushes: one snapshot per doctor's change, each open page picks its own line ---------------


def doctor_snapshot(*, doctor_id, now: datetime | None = None) -> dict:
    """Every active token's and waiting entry's place in the doctor's day, keyed by id, as plain
    values a channel layer can carry. Read once per change; each page uses only its own line."""
    now = now or timezone.now()
    queue = selectors.day_queue(doctor_id=doctor_id, now=now, with_patients=False)
    waiting = selectors.waiting_for_day(doctor_id=doctor_id, day=queue.day, slots=queue.slots, now=now)
    return snapshot_of(queue, waiting)


def snapshot_of(queue: selectors.DayQueue, waiting: list) -> dict:
    def stamp(moment):
        return moment.timestamp() if moment else None

    return {
        "at": queue.now.timestamp(),
        "tokens": {
            str(t.id): {
                "status": t.status, "ahead": t.people_ahead, "eta": stamp(t.estimated_time), "wait": t.wait_minutes,
                "delay": t.slot_obj.effective_delay,
            }
            for t in queue.order
        },
        "waiting": {str(e.id): {"place": e.place, "delay": e.slot_obj.effective_delay} for e in waiting},
    }


def apply_snapshot(status: PatientStatus, snapshot: dict, *, now: datetime | None = None) -> bool:
    """Bring the status up to date from a doctor's snapshot; False when the patient is not in it
    (they left the queue or the waiting list: the page reads the database again)."""
    status.updated_at = now or datetime.fromtimestamp(snapshot["at"], tz=timezone.get_current_timezone())
    if status.is_waiting:
        line = snapshot["waiting"].get(str(status.entry_id))
        if line is None:
            return False
        status.waiting_place, status.delay_minutes = line["place"], line["delay"]
        return True
    line = snapshot["tokens"].get(str(status.token_id))
    if line is None:
        return False
    status.status, status.people_ahead, status.wait_minutes = line["status"], line["ahead"], line["wait"]
    status.estimated_time = datetime.fromtimestamp(line["eta"], tz=timezone.get_current_timezone()) if line["eta"] else None
    status.delay_minutes = line["delay"]
    return True
