"""The waiting-room TV board (/board/<key>/): no login, the Display's secret key in the URL.

Public screen: token numbers, doctors and rooms only; never patient names, phones or
categories. The page opens /ws/board/<key>/, which sends the full board on every (re)connect
and then each changed doctor row, rendered once per change by queues/broadcast.py.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from queues import selectors
from queues.models import Display

TEMPLATE = "queues/board.html"

LABELS = {
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
        "revoked": "इस बोर्ड का लिंक अब मान्य नहीं है। नया लिंक अस्पताल कार्यालय से लें।",
        "no_doctors": "इस बोर्ड पर अभी कोई डॉक्टर नहीं है।",
        "speech_lang": "hi-IN",
    },
}


def labels_for(language: str) -> dict:
    return LABELS.get(language, LABELS["en"])


def _row_context(row, labels) -> dict:
    late = labels["late"].format(doctor=row.doctor.name, minutes=row.delay_minutes) if row.delay_minutes else ""
    return {"row": row, "L": labels, "late": late}


def _rows(display) -> list[dict]:
    labels = labels_for(display.language)
    return [_row_context(row, labels) for row in selectors.board_state(display=display)]


def render_board_rows(display) -> str:
    """The whole #board-rows element: what a board gets on every (re)connect."""
    return render_to_string(f"{TEMPLATE}#rows", {"rows": (rows := _rows(display)), "L": labels_for(display.language), "count": len(rows)})


def render_board_update(doctor, language: str, *, announce: bool = False) -> str:
    """One doctor's row (swapped by id), plus a call announcement when a token was just called.
    Rendered once per change and language, for every board showing the doctor."""
    labels = labels_for(language)
    row = selectors.board_row(doctor=doctor)
    html = render_to_string(f"{TEMPLATE}#row", _row_context(row, labels))
    if announce and row.now_calling is not None:
        if doctor.room:
            say = labels["say"].format(number=row.now_calling, room=doctor.room)
        else:
            say = labels["say_no_room"].format(number=row.now_calling, doctor=doctor.name)
        html += render_to_string(f"{TEMPLATE}#announce", {"row": row, "say": say})
    return html


@never_cache
@xframe_options_sameorigin
def board(request, key):
    display = Display.objects.filter(key=key).first()
    if display is None or not display.active:
        response = render(request, "queues/board_invalid.html", {"L": labels_for(display.language if display else "en")})
        response.status_code = 404
        return response
    rows = _rows(display)
    return render(request, TEMPLATE, {
        "display": display,
        "rows": rows,
        "count": len(rows),
        "L": labels_for(display.language),
        "live_socket": f"/ws/board/{display.key}/",
    })
