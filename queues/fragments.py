"""Server-rendered fragments of the live screens, shared by the views, the broadcaster and
the consumers (so no import cycle runs through the views).

- the doctor's page: `doctor_context` and `render_doctor_parts` (its parts, each with an id,
  so a push sends only the parts that changed);
- the waiting-room board: `render_board_rows` (all rows, on connect) and `render_board_update`
  (one doctor's row, and a call announcement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.template.loader import render_to_string
from django.utils import timezone

from queues import selectors, states
from queues.models import Display, Token
from scheduling.models import MAX_DELAY_MINUTES

DOCTOR_TEMPLATE = "queues/doctor.html"
BOARD_TEMPLATE = "queues/board.html"
# The doctor's live page lists this many patients of the day order; the rest are counted
# (and listed in full on request), so a push stays a few KB however long the queue.
DOCTOR_ROWS = 15
DOCTOR_WAITING_ROWS = 10
DOCTOR_PARTS = ("doctor-now", "doctor-counts", "doctor-rows", "doctor-more", "doctor-waiting")


# --- the doctor's page ------------------------------------------------------------------------


@dataclass
class DoctorPage:
    """Everything the doctor's page shows, read in a fixed number of queries: the day's order as
    plain values, then the rows shown (and the patient with the doctor) as tokens with names."""

    queue: selectors.DayQueue
    waiting: list  # waiting-list entries of the day, slot by slot
    recent: list  # tokens called earlier today, latest first
    delay_slot: object
    delay_minutes: int
    show_all: bool = False
    rows: list = field(init=False)

    def __post_init__(self):
        waiting = self.queue.waiting
        self.rows = selectors.with_patients(waiting if self.show_all else waiting[:DOCTOR_ROWS])

    @cached_property
    def current(self) -> list:
        current = selectors.with_patients(self.queue.current)
        seconds = selectors.second_calls(current)
        for token in current:
            grace = token.slot_obj.doctor.no_show_grace_minutes
            token.second_call_at = seconds.get(token.pk)
            token.offer_no_show = states.offer_no_show(token, now=self.queue.now, second_call_at=token.second_call_at,
                                                       grace_minutes=grace)
            token.no_show_grace = grace
        return current

    @property
    def next(self) -> Token | None:
        return self.queue.next

    @property
    def more(self) -> int:
        return len(self.queue.waiting) - len(self.rows)

    @property
    def waiting_shown(self) -> list:
        return self.waiting[:DOCTOR_WAITING_ROWS]

    @property
    def waiting_more(self) -> int:
        return max(0, len(self.waiting) - DOCTOR_WAITING_ROWS)


def doctor_page(doctor, *, now: datetime | None = None, show_all: bool = False) -> DoctorPage:
    now = now or timezone.now()
    queue = selectors.day_queue(doctor_id=doctor.pk, now=now, with_patients=False)  # names: only for the rows shown
    delay_slot, delay_minutes = selectors.current_delay(queue.slots, now)
    return DoctorPage(
        queue=queue,
        waiting=selectors.waiting_for_day(doctor_id=doctor.pk, day=queue.day, slots=queue.slots, now=now),
        recent=selectors.recently_called(doctor_id=doctor.pk, day=queue.day, count=4),
        delay_slot=delay_slot, delay_minutes=delay_minutes, show_all=show_all,
    )


def doctor_context(doctor, *, show_all: bool = False) -> dict:
    now = timezone.now()
    return {
        "doctor": doctor, "q": doctor_page(doctor, now=now, show_all=show_all), "now": now,
        "max_delay": MAX_DELAY_MINUTES,
    }


def render_doctor_parts(doctor) -> dict[str, str]:
    """Each part of the doctor's live page by its element id, rendered once per change for
    every open page of this doctor. No request here: the forms post through htmx, whose
    header carries the CSRF token."""
    context = doctor_context(doctor) | {"csrf_token": "NOTPROVIDED"}
    return {part: render_to_string(f"{DOCTOR_TEMPLATE}#{part}", context) for part in DOCTOR_PARTS}


# --- the waiting-room board -------------------------------------------------------------------

BOARD_LABELS = {
    "en": {
        "now_calling": "Now calling",
        "next": "Next",
        "recent": "Called earlier",
        "room": "Room",
        "none": "—",
        "late": "{doctor} is running {minutes} min late",
        "say": "Token {number}, room {room}",
        "say_no_room": "Token {number}, {doctor}",
        "footer": "Please wait for your token number to be called.",
        "reconnecting": "Reconnecting…",
        "out_of_date": "Out of date since {time} · reconnecting…",
        "revoked": "This board's link is no longer valid. Ask the hospital office for the new link.",
        "no_doctors": "No doctors on this board yet.",
        "speech_lang": "en-IN",
    },
    "hi": {
        "now_calling": "अभी बुलाया गया",
        "next": "अगले",
        "recent": "पहले बुलाए गए",
        "room": "कमरा",
        "none": "—",
        "late": "{doctor} {minutes} मिनट देरी से हैं",
        "say": "टोकन {number}, कमरा {room}",
        "say_no_room": "टोकन {number}, {doctor}",
        "footer": "कृपया अपना टोकन नंबर बुलाए जाने की प्रतीक्षा करें।",
        "reconnecting": "दोबारा जुड़ रहे हैं…",
        "out_of_date": "{time} से पुरानी जानकारी · दोबारा जुड़ रहे हैं…",
        "revoked": "इस बोर्ड का लिंक अब मान्य नहीं है। नया लिंक अस्पताल कार्यालय से लें।",
        "no_doctors": "इस बोर्ड पर अभी कोई डॉक्टर नहीं है।",
        "speech_lang": "hi-IN",
    },
}
BOARD_LANGUAGES = [code for code, _ in Display.Language.choices]


def board_labels(language: str) -> dict:
    return BOARD_LABELS.get(language, BOARD_LABELS["en"])


def _row_context(row, labels) -> dict:
    late = labels["late"].format(doctor=row.doctor.name, minutes=row.delay_minutes) if row.delay_minutes else ""
    return {"row": row, "L": labels, "late": late}


def board_rows(display) -> list[dict]:
    labels = board_labels(display.language)
    return [_row_context(row, labels) for row in selectors.board_state(display=display)]


def render_board_rows(display) -> str:
    """The whole #board-rows element: what a board gets on every (re)connect."""
    rows = board_rows(display)
    return render_to_string(f"{BOARD_TEMPLATE}#rows", {"rows": rows, "L": board_labels(display.language), "count": len(rows)})


def render_board_row(doctor, language: str) -> tuple[str, str]:
    """One doctor's row (swapped by id) and the call announcement for it ("" when nobody is
    called). Rendered once per change and language, for every board showing the doctor."""
    labels = board_labels(language)
    row = selectors.board_row(doctor=doctor)
    html = render_to_string(f"{BOARD_TEMPLATE}#row", _row_context(row, labels))
    if row.now_calling is None:
        return html, ""
    if doctor.room:
        say = labels["say"].format(number=row.now_calling, room=doctor.room)
    else:
        say = labels["say_no_room"].format(number=row.now_calling, doctor=doctor.name)
    return html, render_to_string(f"{BOARD_TEMPLATE}#announce", {"row": row, "say": say})
