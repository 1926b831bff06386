"""The text of each notice, one template per kind per language (str.format fields listed in
`fields_for`). SMS carries the DLT-registered template id of its kind and WhatsApp the name of
its approved template (both from settings): the wording here must match what was registered."""

from __future__ import annotations

TEMPLATES = {
    "en": {
        "BOOKED": "{hospital}: token {label} with {doctor}, room {room}. Expected {estimate}. Live status: {url}",
        "WAITLISTED": "{hospital}: {doctor}'s slot is full; you are {label} on the waiting list (place {place}). "
                      "We will message you when a token is yours. Status: {url}",
        "NEAR": "{hospital}: token {label}, you are number {place} in line for {doctor}. Please come to room {room}. {url}",
        "CALLED": "{hospital}: token {label}, you are being called. Go to room {room} now.",
        "DELAYED": "{hospital}: {doctor} is running late. Token {label} is now expected {estimate} ({minutes} min later). {url}",
        "PROMOTED": "{hospital}: good news, a place freed up. Waiting list {was} is now token {label} with {doctor}, "
                    "room {room}, expected {estimate}. {url}",
        "SLOT_CANCELLED": "{hospital}: sorry, {doctor}'s session for {label} is cancelled ({reason}). "
                          "Please contact reception to book another time.",
        "REMINDER": "{hospital}: reminder, token {label} with {doctor} tomorrow {day} at {slot_time}, room {room}. "
                    "Please check in at reception when you arrive.",
        "NO_SHOW": "{hospital}: token {label} was marked absent. If you are here, go to the reception desk to be put back in the queue.",
        "stop": "Reply STOP to stop messages: {stop_url}",
    },
    "hi": {
        "BOOKED": "{hospital}: टोकन {label}, {doctor}, कमरा {room}। अनुमानित समय {estimate}। स्थिति: {url}",
        "WAITLISTED": "{hospital}: {doctor} का समय भरा है; आप प्रतीक्षा सूची में {label} हैं (स्थान {place})। "
                      "टोकन मिलते ही संदेश भेजेंगे। स्थिति: {url}",
        "NEAR": "{hospital}: टोकन {label}, {doctor} की कतार में आप {place} नंबर पर हैं। कृपया कमरा {room} पर आएँ। {url}",
        "CALLED": "{hospital}: टोकन {label}, आपको बुलाया जा रहा है। अभी कमरा {room} में जाएँ।",
        "DELAYED": "{hospital}: {doctor} देर से चल रहे हैं। टोकन {label} का अनुमानित समय अब {estimate} ({minutes} मिनट बाद)। {url}",
        "PROMOTED": "{hospital}: खुशखबरी, जगह खाली हुई। प्रतीक्षा सूची {was} अब टोकन {label} है, {doctor}, "
                    "कमरा {room}, अनुमानित {estimate}। {url}",
        "SLOT_CANCELLED": "{hospital}: क्षमा करें, {label} के लिए {doctor} का सत्र रद्द है ({reason})। "
                          "दूसरा समय बुक करने के लिए रिसेप्शन से संपर्क करें।",
        "REMINDER": "{hospital}: याद दिलाना, टोकन {label}, {doctor}, कल {day} {slot_time} बजे, कमरा {room}। "
                    "आने पर रिसेप्शन पर हाज़िरी लगवाएँ।",
        "NO_SHOW": "{hospital}: टोकन {label} को अनुपस्थित माना गया। यदि आप यहाँ हैं, तो कतार में वापस आने के लिए रिसेप्शन पर जाएँ।",
        "stop": "संदेश बंद करने के लिए STOP लिखें: {stop_url}",
    },
}

# The order of each WhatsApp template's body parameters ({{1}}, {{2}}, ...), as approved.
WHATSAPP_PARAMETERS = {
    "BOOKED": ["label", "doctor", "room", "estimate", "url"],
    "WAITLISTED": ["doctor", "label", "place", "url"],
    "NEAR": ["label", "place", "doctor", "room"],
    "CALLED": ["label", "room"],
    "DELAYED": ["doctor", "label", "estimate", "minutes"],
    "PROMOTED": ["was", "label", "doctor", "room", "estimate"],
    "SLOT_CANCELLED": ["doctor", "label", "reason"],
    "REMINDER": ["label", "doctor", "day", "slot_time", "room"],
    "NO_SHOW": ["label"],
}


def render(kind: str, language: str, fields: dict, *, with_stop: bool = True) -> str:
    text = TEMPLATES.get(language, TEMPLATES["en"])
    body = text[kind].format(**fields)
    if with_stop and fields.get("stop_url"):
        body += " " + text["stop"].format(**fields)
    return body
