"""Registering a patient: the UHID series and the duplicate checks (scheduling.patients)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scheduling import patients
from scheduling.errors import PossibleDuplicate
from scheduling.models import Patient, UhidSeries

IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def on_3_dec_2026(settings):
    settings.UHID_PATTERN = "{year}{seq:06d}"
    with time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=IST), tick=False) as traveller:
        yield traveller


def test_each_registration_gets_the_next_uhid_of_the_year_and_a_new_year_starts_again(db, on_3_dec_2026):
    first = patients.register_patient(name="Asha", phone="9800000001")
    second = patients.register_patient(name="Bina", phone="9800000002")
    on_3_dec_2026.move_to(datetime(2027, 1, 1, 9, 0, tzinfo=IST))
    third = patients.register_patient(name="Chitra", phone="9800000003")
    assert [first.hospital_number, second.hospital_number, third.hospital_number] == ["2026000001", "2026000002", "2027000001"]


def test_a_refused_registration_hands_out_no_number_and_a_deleted_patients_number_is_never_given_again(db, on_3_dec_2026):
    kept = patients.register_patient(name="Raju Prasad", phone="9812345678")
    with pytest.raises(PossibleDuplicate):
        patients.register_patient(name="Raju Prasad", phone="9812345678")
    gone = patients.register_patient(name="Gita", phone="9800000009")
    gone.delete()
    after = patients.register_patient(name="Hari", phone="9800000010")
    assert (kept.hospital_number, gone.hospital_number, after.hospital_number) == ("2026000001", "2026000002", "2026000003")
    assert UhidSeries.objects.get(series="2026{seq}").last_number == 3


def test_a_generated_uhid_skips_a_number_already_typed_in_for_an_older_patient(db, on_3_dec_2026):
    Patient.objects.create(name="Old record", hospital_number="2026000001")
    assert patients.register_patient(name="New", phone="9800000011").hospital_number == "2026000002"


def test_a_hospital_number_given_at_registration_is_kept(db, on_3_dec_2026):
    assert patients.register_patient(name="Moved over", hospital_number="OLD-77").hospital_number == "OLD-77"


def test_the_same_name_and_phone_is_a_possible_duplicate_until_confirmed(db, on_3_dec_2026):
    existing = patients.register_patient(name="Raju Prasad", phone="+91 98123 45678")
    with pytest.raises(PossibleDuplicate) as refused:
        patients.register_patient(name="raju  prasaad", phone="9812345678")
    assert refused.value.matches == [existing] and refused.value.can_confirm
    assert "Raju Prasad" in refused.value.message and "2026000001" in refused.value.message
    twin = patients.register_patient(name="Raju Prasad", phone="9812345678", confirm_new=True)
    assert twin.pk != existing.pk and Patient.objects.count() == 2


def test_a_family_sharing_one_phone_registers_without_a_question(db, on_3_dec_2026):
    patients.register_patient(name="Raju Prasad", phone="9812345678")
    wife = patients.register_patient(name="Sunita Devi", phone="9812345678")
    assert wife.hospital_number == "2026000002"


def test_an_abha_already_registered_is_refused_even_when_confirmed(db, on_3_dec_2026):
    existing = patients.register_patient(name="Raju Prasad", abha_number="91-1234-5678-9012", abha_address="raju@abdm")
    for abha in ({"abha_number": "91-1234-5678-9012"}, {"abha_address": "RAJU@abdm"}):
        with pytest.raises(PossibleDuplicate) as refused:
            patients.register_patient(name="Someone Else", confirm_new=True, **abha)
        assert refused.value.matches == [existing] and not refused.value.can_confirm
        assert refused.value.status_code == 409
    assert Patient.objects.count() == 1
