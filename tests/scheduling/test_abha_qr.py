"""Reading the two shapes of ABHA QR code that a USB scanner types (scheduling.abha_qr)."""

import json
from datetime import date

import pytest

from scheduling.abha_qr import looks_like_abha_qr, parse_abha_qr
from scheduling.identity import InvalidIdentifier

# The ABHA card's shape: "hid" for the address, "dist name" / "state name" with spaces.
CARD_QR = json.dumps({
    "hidn": "91-1234-5678-9012", "hid": "raju.prasad@abdm", "name": "Raju  Prasad", "gender": "M",
    "statelgd": "10", "distlgd": "212", "dob": "15-8-1980", "dist name": "Patna", "state name": "BIHAR",
    "mobile": "9812345678", "address": "Ward 4, Rampur, Patna",
})
# The ABHA (PHR) app's shape: "phr" for the address, "district_name" / "state_name".
APP_QR = json.dumps({
    "hidn": "91-2222-3333-4444", "phr": "sunita_devi@sbx", "name": "Sunita Devi", "gender": "F",
    "dob": "01/01/1992", "mobile": "+91 97000 00000", "address": "Sitapur", "distlgd": "150",
    "statelgd": "9", "district_name": "Sitapur", "state_name": "UTTAR PRADESH",
})


def test_the_abha_card_shape_is_read():
    profile = parse_abha_qr(CARD_QR)
    assert (profile.name, profile.abha_number, profile.abha_address) == ("Raju Prasad", "91-1234-5678-9012", "raju.prasad@abdm")
    assert (profile.sex, profile.date_of_birth, profile.phone) == ("M", date(1980, 8, 15), "9812345678")
    assert (profile.district, profile.state) == ("Patna", "BIHAR")


def test_the_abha_app_shape_is_read():
    profile = parse_abha_qr(APP_QR)
    assert (profile.name, profile.abha_number, profile.abha_address) == ("Sunita Devi", "91-2222-3333-4444", "sunita_devi@sbx")
    assert (profile.sex, profile.date_of_birth, profile.phone) == ("F", date(1992, 1, 1), "+919700000000")
    assert (profile.district, profile.state) == ("Sitapur", "UTTAR PRADESH")
    assert profile.registration()["locality"] == "Sitapur"


@pytest.mark.parametrize("text,reason", [
    ('{"hidn": "91-1234-5678-9012", "name": "Raju', "not a whole ABHA QR"),
    ('{"name": "Raju"}', "no ABHA number"),
    ('{"hidn": "91-1234-5678-9012"}', "no name"),
    ('{"hidn": "12-34", "name": "Raju"}', "14 digits"),
    ('{"hid": "raju@gmail.com", "name": "Raju"}', "name@abdm"),
    ('{"hidn": "91-1234-5678-9012", "name": "Raju", "dob": "31-02-1980"}', "not a date"),
    ('{"hidn": "91-1234-5678-9012", "name": "Raju", "gender": "X"}', "not M, F or O"),
    ("[1, 2]", "not an ABHA QR"),
])
def test_a_bad_scan_says_what_is_wrong(text, reason):
    with pytest.raises(InvalidIdentifier, match=reason):
        parse_abha_qr(text)


def test_only_json_looks_like_a_scan():
    assert looks_like_abha_qr(CARD_QR) and looks_like_abha_qr("  {")
    assert not looks_like_abha_qr("Raju Prasad") and not looks_like_abha_qr("")
