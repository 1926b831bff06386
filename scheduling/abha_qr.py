"""Scan & Pull: the text a USB 2D scanner types when it reads a patient's ABHA QR code.

The QR holds a JSON object, in one of two shapes ABDM has used:
- the ABHA card's: {"hidn": "91-1234-5678-9012", "hid": "raju@abdm", "name", "gender", "dob",
  "mobile", "address", "dist name", "state name", "distlgd", "statelgd"};
- the ABHA (PHR) app's: the same with "phr" for the ABHA address and "district_name" /
  "state_name" for the district and state.
Dates of birth come as day-month-year with - or / ("05-01-1980", "5/1/1980"), or ISO.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from scheduling import identity

SEX = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "O": "O", "OTHER": "O", "T": "O", "U": "", "": ""}
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%y")


@dataclass(frozen=True)
class ScannedProfile:
    """A patient as an ABHA QR (or an ABDM profile share) describes them, already validated."""

    name: str
    abha_number: str | None = None
    abha_address: str | None = None
    sex: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    address: str = ""
    district: str = ""
    state: str = ""

    def registration(self) -> dict:
        """Initial values for the desk's registration form."""
        return {
            "name": self.name, "phone": self.phone, "sex": self.sex, "date_of_birth": self.date_of_birth,
            "abha_number": self.abha_number, "abha_address": self.abha_address,
            "locality": (self.address or self.district)[:120],
        }


def looks_like_abha_qr(text: str) -> bool:
    return (text or "").lstrip().startswith("{")


def parse_birth_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise identity.InvalidIdentifier(f"the date of birth {value!r} is not a date (day-month-year).")


def parse_abha_qr(text: str) -> ScannedProfile:
    """The profile in a scanned ABHA QR. Raises InvalidIdentifier saying what is wrong."""
    try:
        data = json.loads(text)
    except ValueError:
        raise identity.InvalidIdentifier("the scanned text is not a whole ABHA QR code (scan it again).") from None
    if not isinstance(data, dict):
        raise identity.InvalidIdentifier("the scanned text is not an ABHA QR code.")
    number, address = data.get("hidn") or "", data.get("hid") or data.get("phr") or ""
    if not number and not address:
        raise identity.InvalidIdentifier("the QR code has no ABHA number (hidn) or ABHA address (hid / phr).")
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise identity.InvalidIdentifier("the QR code has no name.")
    sex = SEX.get(str(data.get("gender") or "").strip().upper())
    if sex is None:
        raise identity.InvalidIdentifier(f"the gender {data.get('gender')!r} is not M, F or O.")
    return ScannedProfile(
        name=name[:120],
        abha_number=identity.format_abha_number(str(number)) if number else None,
        abha_address=identity.normalise_abha_address(str(address)) if address else None,
        sex=sex,
        date_of_birth=parse_birth_date(str(data.get("dob") or "")),
        phone=identity.compact_phone(str(data.get("mobile") or ""))[:20],
        address=" ".join(str(data.get("address") or "").split()),
        district=str(data.get("district_name") or data.get("dist name") or "").strip(),
        state=str(data.get("state_name") or data.get("state name") or "").strip(),
    )


def patients_with_abha(queryset, profile: ScannedProfile):
    """The registered patients holding the profile's ABHA number or address."""
    match = Q(pk__in=[])
    if profile.abha_number:
        match |= Q(abha_number=profile.abha_number)
    if profile.abha_address:
        match |= Q(abha_address=profile.abha_address)
    return queryset.filter(match)
