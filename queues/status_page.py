"""Rendering of a patient's status page (/s/<code>/) in English or Hindi: the whole page for its
view, its body for the websocket and the poll. Shared by the view and the consumer."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from queues.patient_status import PatientStatus

TEMPLATE = "queues/status.html"
LANGUAGES = ("en", "hi")
LANGUAGE_COOKIE = "opd_lang"

TEXT = {
    "en": {
        "lang": "en", "title": "Your place in the queue", "token": "Token", "waiting": "Waiting list",
        "doctor": "Doctor", "room": "Room", "status": "Status", "ahead": "People ahead of you",
        "estimate": "Expected time", "wait": "about {minutes} min", "now": "Now", "delay": "The doctor is running {minutes} min late.",
        "called": "You are being called — go to room {room}.", "called_no_room": "You are being called — go to {doctor}.",
        "place": "Your place on the waiting list", "promoted": "Good news: a place freed up. Waiting list {was} is now token {label}.",
        "waiting_note": "The slot is full. You get a token as soon as a place frees up.",
        "expected_note": "Please check in at reception when you arrive.",
        "updated": "Updated {time}", "stale": "Out of date: no connection. Reload the page.",
        "other": "हिन्दी", "other_lang": "hi", "patient": "Patient",
        "statuses": {
            "CONFIRMED": "Booked, not checked in yet", "ARRIVED": "Checked in, waiting", "CALLED": "Called in",
            "COMPLETED": "Seen by the doctor", "CANCELLED": "Cancelled",
            "NO_SHOW": "Marked absent. Please see the reception desk to be put back in the queue.",
            "WAITING": "On the waiting list", "PROMOTED": "Given a token",
        },
        "expired_title": "This page has expired",
        "expired": "Status pages work only on the day of the token. For a new visit, please book again at reception.",
        "unknown_title": "Page not found",
        "unknown": "Please check the address on your slip, or ask at reception.",
        "blocked": "Too many wrong addresses from this network. Please try again in a few minutes.",
    },
    "hi": {
        "lang": "hi", "title": "कतार में आपकी जगह", "token": "टोकन", "waiting": "प्रतीक्षा सूची",
        "doctor": "डॉक्टर", "room": "कमरा", "status": "स्थिति", "ahead": "आपसे पहले",
        "estimate": "अनुमानित समय", "wait": "लगभग {minutes} मिनट", "now": "अभी", "delay": "डॉक्टर {minutes} मिनट देर से चल रहे हैं।",
        "called": "आपको बुलाया जा रहा है — कमरा {room} में जाएँ।", "called_no_room": "आपको बुलाया जा रहा है — {doctor} के पास जाएँ।",
        "place": "प्रतीक्षा सूची में आपका स्थान", "promoted": "खुशखबरी: जगह खाली हुई। प्रतीक्षा सूची {was} अब टोकन {label} है।",
        "waiting_note": "यह समय भरा हुआ है। जगह खाली होते ही आपको टोकन मिलेगा।",
        "expected_note": "आने पर कृपया रिसेप्शन पर हाज़िरी लगवाएँ।",
        "updated": "{time} पर अपडेट", "stale": "पुरानी जानकारी: कनेक्शन नहीं है। पेज फिर से खोलें।",
        "other": "English", "other_lang": "en", "patient": "मरीज़",
        "statuses": {
            "CONFIRMED": "बुक, अभी हाज़िरी नहीं", "ARRIVED": "हाज़िर, प्रतीक्षा में", "CALLED": "बुलाया गया",
            "COMPLETED": "डॉक्टर ने देख लिया", "CANCELLED": "रद्द",
            "NO_SHOW": "अनुपस्थित माना गया। कतार में वापस आने के लिए रिसेप्शन पर मिलें।",
            "WAITING": "प्रतीक्षा सूची में", "PROMOTED": "टोकन मिल गया",
        },
        "expired_title": "यह पेज अब मान्य नहीं है",
        "expired": "स्थिति पेज केवल टोकन वाले दिन चलता है। नई मुलाक़ात के लिए रिसेप्शन पर फिर से बुक करें।",
        "unknown_title": "पेज नहीं मिला",
        "unknown": "कृपया पर्ची पर लिखा पता जाँचें, या रिसेप्शन पर पूछें।",
        "blocked": "इस नेटवर्क से बहुत सारे गलत पते आए। कुछ मिनट बाद फिर कोशिश करें।",
    },
}


def language_of(request) -> str:
    """The patient's choice: ?lang= (remembered by the view in a cookie), else the cookie, else English."""
    for value in (request.GET.get("lang"), request.COOKIES.get(LANGUAGE_COOKIE)):
        if value in LANGUAGES:
            return value
    return "en"


def lines(status: PatientStatus, language: str) -> dict:
    """The sentences the page shows for this status, in the patient's language."""
    text = TEXT[language]
    room = status.room
    out = {
        "status": text["statuses"].get(status.status, status.status),
        "called": "",
        "delay": text["delay"].format(minutes=status.delay_minutes) if status.delay_minutes and not status.finished else "",
        "promoted": text["promoted"].format(was=status.promoted_from, label=status.label) if status.promoted_from else "",
        "updated": text["updated"].format(time=f"{timezone.localtime(status.updated_at):%H:%M}") if status.updated_at else "",
        "wait": text["wait"].format(minutes=status.wait_minutes) if status.wait_minutes else "",
    }
    if status.called:
        out["called"] = text["called"].format(room=room) if room else text["called_no_room"].format(doctor=status.doctor_name)
    return out


def context(status: PatientStatus, language: str) -> dict:
    return {"s": status, "t": TEXT[language], "lines": lines(status, language), "language": language}


def render_body(status: PatientStatus, language: str) -> str:
    """The part of the page that changes (pushed over the websocket, fetched by the poll)."""
    return render_to_string(f"{TEMPLATE}#status-body", context(status, language))
