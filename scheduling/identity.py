"""Patient identifiers as the counter sees them: ABHA numbers and addresses, and the hospital's
UHID pattern. Pure functions (no database); scheduling.patients hands out the numbers.

ABDM publishes no check digit for the ABHA number (it is "a randomly generated 14 digit
number"), so only its shape is checked: 14 digits, shown and stored as XX-XXXX-XXXX-XXXX.
An ABHA address is `user@abdm` (production) or `user@sbx` (the sandbox); ABDM's policy for the
user part: at least 4 characters of letters, digits, dot or underscore, not starting with a
digit (except the 14-digit number itself) and not starting or ending with a dot.
"""

from __future__ import annotations

import re
import string
from datetime import date

ABHA_DIGITS = 14
ABHA_SUFFIXES = ("abdm", "sbx")
_ABHA_NUMBER = re.compile(r"^\d{14}$")
_ABHA_USER = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9._]{2,30}[A-Za-z0-9_]|\d{14})$")


class InvalidIdentifier(ValueError):
    """What was typed is not an ABHA number / address; the message says what one looks like."""


def format_abha_number(value: str) -> str:
    """"91-1234-5678-9012" from "91123456789012", "91 1234 5678 9012" or the formatted form."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not _ABHA_NUMBER.match(digits):
        raise InvalidIdentifier("An ABHA number has 14 digits, e.g. 91-1234-5678-9012.")
    return f"{digits[:2]}-{digits[2:6]}-{digits[6:10]}-{digits[10:]}"


def looks_like_abha_number(value: str) -> bool:
    return bool(_ABHA_NUMBER.match(re.sub(r"[\s-]", "", value or "")))


def compact_phone(value: str) -> str:
    """A phone as stored: digits, with a leading + kept ("+91 98123-45678" -> "+919812345678")."""
    value = (value or "").strip()
    return ("+" if value.startswith("+") else "") + "".join(c for c in value if c.isdigit())


def normalise_abha_address(value: str) -> str:
    """"raju.prasad@abdm" (lower case) from what was typed; refuses anything else."""
    address = (value or "").strip().lower()
    user, at, suffix = address.rpartition("@")
    if not at or suffix not in ABHA_SUFFIXES or not _ABHA_USER.match(user) or ".." in user:
        raise InvalidIdentifier(
            "An ABHA address looks like name@abdm (or name@sbx in the sandbox): at least 4 letters, "
            "digits, dots or underscores, not starting with a digit or a dot."
        )
    return address


def looks_like_abha_address(value: str) -> bool:
    try:
        normalise_abha_address(value)
    except InvalidIdentifier:
        return False
    return True


# --- the hospital's own number (UHID) -------------------------------------------------------

UHID_FIELDS = {"year", "yy", "month", "seq"}


def check_uhid_pattern(pattern: str) -> None:
    """A pattern names {seq} once (the running number) and may use {year}, {yy} and {month},
    e.g. "{year}{seq:06d}" or "CGH/{yy}/{seq:05d}". Raises ValueError with the reason."""
    names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    if names.count("seq") != 1:
        raise ValueError(f"UHID_PATTERN {pattern!r} must contain {{seq}} exactly once.")
    unknown = set(names) - UHID_FIELDS
    if unknown:
        raise ValueError(f"UHID_PATTERN {pattern!r} uses {sorted(unknown)}; only {sorted(UHID_FIELDS)} are known.")
    render_uhid(pattern, seq=1, today=date(2000, 1, 1))


def _date_fields(today: date) -> dict:
    return {"year": today.year, "yy": f"{today.year % 100:02d}", "month": f"{today.month:02d}"}


def uhid_series(pattern: str, *, today: date) -> str:
    """The series a number belongs to: the pattern with its date fields filled in. "{year}{seq:06d}"
    counts afresh each year (series "2026{seq}"); a pattern without date fields never resets."""
    fields = _date_fields(today)
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(pattern):
        parts.append(literal)
        if name == "seq":
            parts.append("{seq}")
        elif name is not None:
            parts.append(format(fields[name], spec or ""))
    return "".join(parts)


def render_uhid(pattern: str, *, seq: int, today: date) -> str:
    return pattern.format(seq=seq, **_date_fields(today))


MAX_AGE_YEARS = 130


def plausible_birth_date(value: date, *, today: date) -> bool:
    return value <= today and today.year - value.year <= MAX_AGE_YEARS
