"""The desk's Scan & Share inbox (pushed over the desk socket), booking a shared profile in one
step, and the manager's counters with their printable QR."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from abdm import shares
from abdm.models import ProfileShare, RegistrationCounter
from queues.broadcast import DESK_GROUP
from queues.models import Token
from scheduling.models import Patient
from tests.abdm.conftest import HIP_ID
from tests.staff import make_staff

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def abdm_on(settings):
    settings.ABDM_CLIENT_ID, settings.ABDM_CLIENT_SECRET, settings.ABDM_HIP_ID = "SBX_TEST", "secret", HIP_ID


@pytest.fixture
def desk(client, db, abdm_on):
    client.force_login(make_staff("desk", "Reception"))
    return client


def shared(counter, *, name="Raju Prasad", address="raju.prasad@sbx", number=1, **fields):
    now = timezone.now()
    return ProfileShare.objects.create(
        counter=counter, day=timezone.localdate(), token_number=number, shared_at=now, expires_at=now + timezone.timedelta(minutes=30),
        abha_address=address, abha_number=fields.pop("abha_number", "91-1234-5678-9012"), name=name, sex="M",
        year_of_birth=1980, phone=fields.pop("phone", "9812345678"), district="Patna", **fields,
    )


def test_the_inbox_lists_the_counters_shares_with_their_tokens(desk, counter):
    shared(counter)
    html = desk.get("/abdm/inbox/", **HX).content.decode()
    assert 'id="abdm-inbox-OPD-1"' in html and "OPD-1-1" in html and "Raju Prasad" in html
    assert "new: registers on booking" in html and 'action="/abdm/shares/' in html


def test_the_inbox_is_empty_when_scan_and_share_is_off(client, db, counter, settings):
    settings.ABDM_CLIENT_ID = ""
    client.force_login(make_staff("desk", "Reception"))
    assert client.get("/abdm/inbox/").content == b""


def test_a_share_is_pushed_to_the_desks_as_the_counters_inbox(db, counter, slot):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(DESK_GROUP, channel)
    shared(counter)
    shares.push_inbox(counter.pk)
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == "live.html"
    assert message["html"].lstrip().startswith('<section id="abdm-inbox-OPD-1"') and "Raju Prasad" in message["html"]
    assert f'<option value="{slot.doctor_id}">{slot.doctor.name}</option>' in message["html"]  # bookable as pushed


def test_booking_a_new_shared_profile_registers_and_books_in_one_step(desk, counter, slot):
    share = shared(counter)
    response = desk.post(f"/abdm/shares/{share.pk}/book/", {"doctor": slot.doctor_id, "category": "WALKIN"}, **HX)
    html = response.content.decode()
    share.refresh_from_db()
    token = Token.objects.get()
    assert share.token == token and token.patient == share.patient and token.slot == slot
    assert (share.patient.abha_number, share.patient.abha_address, share.patient.phone) == ("91-1234-5678-9012", "raju.prasad@sbx", "9812345678")
    assert f"counter token OPD-1-1) booked: {token.token_label}" in html and "queue-changed" in response.headers["HX-Trigger"]


def test_booking_a_shared_profile_of_a_registered_patient_uses_that_patient(desk, counter, slot):
    raju = Patient.objects.create(name="Raju P.", abha_address="raju.prasad@sbx")
    share = shared(counter)
    desk.post(f"/abdm/shares/{share.pk}/book/", {"doctor": slot.doctor_id, "category": "WALKIN"}, **HX)
    assert Token.objects.get().patient == raju and Patient.objects.count() == 1


def test_a_shared_profile_like_someone_registered_without_abha_asks_first(desk, counter, slot):
    Patient.objects.create(name="Raju Prasad", phone="9812345678")
    share = shared(counter)
    html = desk.post(f"/abdm/shares/{share.pk}/book/", {"doctor": slot.doctor_id, "category": "WALKIN"}, **HX).content.decode()
    assert 'id="abdm-error"' in html and "already registered" in html and 'name="confirm_new"' in html
    assert not Token.objects.exists()
    desk.post(f"/abdm/shares/{share.pk}/book/", {"doctor": slot.doctor_id, "category": "WALKIN", "confirm_new": "1"}, **HX)
    assert Token.objects.count() == 1 and Patient.objects.count() == 2


def test_a_booked_share_cannot_be_booked_twice(desk, counter, slot):
    share = shared(counter)
    desk.post(f"/abdm/shares/{share.pk}/book/", {"doctor": slot.doctor_id, "category": "WALKIN"}, **HX)
    html = desk.post(f"/abdm/shares/{share.pk}/book/", {"doctor": slot.doctor_id, "category": "WALKIN"}, **HX).content.decode()
    assert "already booked" in html and Token.objects.count() == 1


def test_booking_without_a_doctor_says_so(desk, counter):
    share = shared(counter)
    response = desk.post(f"/abdm/shares/{share.pk}/book/", {"category": "WALKIN"})
    assert response.status_code == 400 and not Token.objects.exists()


def test_a_manager_adds_a_counter_and_prints_its_qr(client, db, abdm_on):
    client.force_login(make_staff("meera", "Manager"))
    response = client.post("/abdm/counters/", {"code": "opd-2", "name": "Counter 2", "active": "on"})
    assert response.status_code == 302 and RegistrationCounter.objects.get().code == "OPD-2"
    page = client.get("/abdm/counters/OPD-2/print/").content.decode()
    assert "<svg" in page and f"hip-id={HIP_ID}&amp;counter-id=OPD-2" in page


def test_the_counters_page_says_scan_and_share_is_off_without_settings(client, db, settings):
    settings.ABDM_CLIENT_ID = settings.ABDM_CLIENT_SECRET = settings.ABDM_HIP_ID = ""
    client.force_login(make_staff("meera", "Manager"))
    page = client.get("/abdm/counters/").content.decode()
    assert 'id="abdm-off"' in page and "Scan &amp; Share is off" in page


def test_reception_cannot_manage_counters(desk):
    assert desk.get("/abdm/counters/").status_code == 403
