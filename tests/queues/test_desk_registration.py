"""Registering at the desk: the new fields, a possible duplicate shown and asked about, and the
spelling-tolerant search box."""

import pytest

from scheduling.models import Patient
from tests.queues.test_desk import hx
from tests.staff import make_staff


@pytest.fixture
def desk(client, db):
    client.force_login(make_staff("desk", "Reception"))
    return client


def register(desk, **fields):
    return desk.post("/desk/patients/", {"name": "Raju Prasad", "phone": "9812345678", **fields}, **hx("book-panel"))


def test_the_registration_form_carries_the_fields_indian_opds_use(desk):
    response = register(desk, guardian_name="Ram Prasad", locality="Rampur", sex="M", date_of_birth="1980-05-01",
                        abha_number="91 1234 5678 9012", abha_address="Raju.Prasad@abdm")
    patient = Patient.objects.get()
    assert (patient.guardian_name, patient.locality, patient.abha_number, patient.abha_address) == (
        "Ram Prasad", "Rampur", "91-1234-5678-9012", "raju.prasad@abdm")
    html = response.content.decode()
    assert "UHID " + patient.hospital_number in html and "c/o Ram Prasad" in html and "ABHA 91-1234-5678-9012" in html


def test_a_malformed_abha_is_explained_next_to_its_field(desk):
    html = register(desk, abha_number="12345", abha_address="raju@gmail.com").content.decode()
    assert 'id="id_new_abha_number-error"' in html and "14 digits" in html
    assert 'id="id_new_abha_address-error"' in html and "name@abdm" in html
    assert not Patient.objects.exists()


def test_the_same_name_and_phone_shows_the_match_and_registers_only_when_confirmed(desk):
    register(desk)
    first = Patient.objects.get()
    response = register(desk, name="Raju Prasaad")
    html = response.content.decode()
    assert response.headers["HX-Retarget"] == "#patient-results"
    assert 'id="duplicate-warning"' in html and f"?patient={first.pk}" in html and 'id="confirm-new"' in html
    assert Patient.objects.count() == 1

    html = register(desk, name="Raju Prasaad", confirm_new="1").content.decode()
    assert Patient.objects.count() == 2 and 'id="book-form"' in html


def test_an_abha_already_registered_offers_only_that_patient(desk):
    register(desk, abha_number="91-1234-5678-9012")
    html = register(desk, name="Somebody Else", phone="9000000000", abha_number="91123456789012", confirm_new="1").content.decode()
    assert 'id="duplicate-warning"' in html and "already registered to Raju Prasad" in html
    assert 'id="confirm-new"' not in html and Patient.objects.count() == 1


def test_a_duplicate_without_javascript_answers_409_with_the_form(desk):
    register(desk)
    response = desk.post("/desk/patients/", {"name": "Raju Prasad", "phone": "9812345678"})
    assert response.status_code == 409 and b'id="duplicate-warning"' in response.content


def test_the_search_box_forgives_spelling_and_finds_by_fathers_name_and_village(desk):
    Patient.objects.create(name="Raju Prasad", phone="9812345678", guardian_name="Ram Prasad", locality="Rampur")
    Patient.objects.create(name="Sunita Devi", phone="9700000000", locality="Sitapur")
    for q in ["Raju Parsad", "Ram Prasad", "Rampur"]:
        html = desk.get("/desk/", {"q": q}, **hx("patient-results")).content.decode()
        assert "Raju Prasad" in html and "Sunita Devi" not in html, q
