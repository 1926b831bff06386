"""Scan & Pull at the desk: the scanner types an ABHA QR into the search box."""

import pytest

from scheduling.models import Patient
from tests.queues.test_desk import hx
from tests.scheduling.test_abha_qr import APP_QR, CARD_QR
from tests.staff import make_staff


@pytest.fixture
def desk(client, db):
    client.force_login(make_staff("desk", "Reception"))
    return client


def scan(desk, text):
    return desk.get("/desk/", {"q": text}, **hx("patient-results")).content.decode()


def test_a_scanned_card_finds_the_patient_registered_with_that_abha_number(desk):
    Patient.objects.create(name="Raju Prasad", abha_number="91-1234-5678-9012", hospital_number="2026000001")
    Patient.objects.create(name="Raju Prasad", phone="9812345678")  # same name, no ABHA: not the one
    html = scan(desk, CARD_QR)
    assert 'id="scanned-abha"' in html and "registered" in html
    assert html.count('class="list-group-item list-group-item-action patient-result') == 1
    assert "UHID 2026000001" in html and 'id="register-form"' not in html


def test_a_scanned_app_code_finds_the_patient_by_abha_address(desk):
    Patient.objects.create(name="Sunita Devi", abha_address="sunita_devi@sbx")
    html = scan(desk, APP_QR)
    assert "Sunita Devi" in html and 'id="register-form"' not in html


@pytest.mark.parametrize("qr,expected", [
    (CARD_QR, ['value="Raju Prasad"', 'value="9812345678"', 'value="1980-08-15"', 'value="91-1234-5678-9012"',
               'value="raju.prasad@abdm"', 'value="Ward 4, Rampur, Patna"', '<option value="M" selected>']),
    (APP_QR, ['value="Sunita Devi"', 'value="+919700000000"', 'value="1992-01-01"', 'value="sunita_devi@sbx"',
              '<option value="F" selected>']),
])
def test_a_scanned_code_of_someone_new_prefills_the_registration_form(desk, qr, expected):
    html = scan(desk, qr)
    assert 'id="register-form"' in html and "not registered yet" in html
    for snippet in expected:
        assert snippet in html, snippet


def test_registering_the_prefilled_scan_keeps_the_abha(desk):
    scan(desk, CARD_QR)
    desk.post("/desk/patients/", {"name": "Raju Prasad", "phone": "9812345678", "abha_number": "91-1234-5678-9012",
                                  "abha_address": "raju.prasad@abdm", "date_of_birth": "1980-08-15", "sex": "M"}, **hx("book-panel"))
    assert Patient.objects.get().abha_address == "raju.prasad@abdm"
    assert scan(desk, CARD_QR).count("patient-result py-1") == 1


def test_a_half_read_scan_explains_itself_and_offers_nothing_to_register(desk):
    html = scan(desk, CARD_QR[:60])
    assert 'id="scan-error"' in html and "not a whole ABHA QR code" in html and 'id="register-form"' not in html
