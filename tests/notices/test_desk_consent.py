"""The desk records a patient's yes or no per channel, with the receptionist's name."""

import pytest
from django.test import Client

from notices import consent
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    client = Client()
    client.force_login(make_staff("desk", "Reception"))
    return client


def test_the_desk_records_consent_per_channel_with_who_and_how(desk, make_patient):
    patient = make_patient(phone="9812345678")
    url = f"/desk/patients/{patient.pk}/consent/"
    panel = desk.get(url, headers={"HX-Request": "true"}).content.decode()
    assert panel.lstrip().startswith('<div id="patient-consent"') and "not asked" in panel
    assert "no email address on file" in panel
    answer = desk.post(url, {"channel": "whatsapp", "granted": "1", "language": "hi"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "yes" in answer.content.decode()
    decision = consent.in_force(patient.pk)["whatsapp"]
    assert decision.granted and decision.language == "hi" and decision.how == "desk" and decision.by.username == "desk"
    desk.post(url, {"channel": "whatsapp", "granted": "0"})
    assert not consent.in_force(patient.pk)["whatsapp"].granted


def test_consent_for_a_channel_without_contact_is_refused_with_the_reason(desk, make_patient):
    patient = make_patient(phone="9812345678")
    answer = desk.post(f"/desk/patients/{patient.pk}/consent/", {"channel": "email", "granted": "1"})
    assert answer.status_code == 400 and "The patient has no email address for email." in answer.content.decode()
    assert consent.in_force(patient.pk) == {}


def test_a_doctor_cannot_record_consent(make_patient, doctor):
    client = Client()
    client.force_login(make_staff("rao", "Doctor", doctor))
    patient = make_patient()
    assert client.post(f"/desk/patients/{patient.pk}/consent/", {"channel": "sms", "granted": "1"}).status_code == 403
