"""Patient data that must never leave the app in a log line or an error report."""

import re

# Phone numbers: ten digits, maybe after +91 (a database error can quote a row's values).
_PHONE = re.compile(r"(?<!\w)(?:\+?91[ -]?)?\d{10}(?!\w)")
FILTERED = "[Filtered]"


def mask_phones(text: str) -> str:
    return _PHONE.sub(FILTERED, text)
