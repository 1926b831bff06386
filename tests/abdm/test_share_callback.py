"""The gateway's profile-share callback, driven by a local fake ABDM gateway."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from abdm import shares
from abdm.models import CounterDay, ProfileShare, RegistrationCounter
from scheduling.models import Patient
from tests.abdm.conftest import _key, share_body

pytestmark = pytest.mark.django_db
# Tests whose answer to the gateway runs (a thread, after a real commit) need real transactions.
answered = pytest.mark.django_db(transaction=True)


@answered
def test_a_share_gets_the_counters_next_token_and_the_gateway_is_told_within_30_seconds(share, counter, fake_gateway):
    first = share(request_id="req-1")
    second = share(share_body(abhaAddress="sunita@sbx", abhaNumber="", name="Sunita Devi", gender="F"), request_id="req-2")
    assert (first.status_code, second.status_code) == (202, 202)
    assert (first.json()["tokenNumber"], second.json()["tokenNumber"]) == (1, 2)
    shares.wait_for_answers()
    told = {a["body"]["response"]["requestId"]: a["body"]["acknowledgement"] for a in fake_gateway.on_shares}
    assert told["req-1"] == {"status": "SUCCESS", "abhaAddress": "raju.prasad@sbx",
                             "profile": {"context": "OPD-1", "tokenNumber": "1", "expiry": told["req-1"]["profile"]["expiry"]}}
    assert told["req-2"]["profile"]["tokenNumber"] == "2" and 1700 <= int(told["req-1"]["profile"]["expiry"]) <= 1800
    assert all(a["headers"]["authorization"] == "Bearer session-token" and a["headers"]["x-cm-id"] == "sbx" for a in fake_gateway.on_shares)
    for s in ProfileShare.objects.all():
        assert s.answered_at is not None and s.answered_at - s.shared_at < timedelta(seconds=30) and s.answer_attempts == 1
    raju = ProfileShare.objects.get(token_number=1)
    assert (raju.name, raju.abha_number, raju.sex, str(raju.date_of_birth), raju.district) == (
        "Raju Prasad", "91-1234-5678-9012", "M", "1980-08-15", "Patna")


@answered
def test_a_repeat_share_within_30_minutes_gets_the_same_token_and_later_a_new_one(share, counter, fake_gateway):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert share().json()["tokenNumber"] == 1
        clock.shift(timedelta(minutes=29))
        again = share(request_id="again")
        assert again.json() == {"status": "ACCEPTED", "tokenNumber": 1, "counter": "OPD-1", "repeat": True}
        clock.shift(timedelta(minutes=2))
        assert share().json()["tokenNumber"] == 2
    shares.wait_for_answers()
    assert ProfileShare.objects.count() == 2
    assert [a["body"]["acknowledgement"]["profile"]["tokenNumber"] for a in fake_gateway.on_shares].count("1") == 2


def test_counter_tokens_count_per_counter_per_day(share, counter, fake_gateway):
    RegistrationCounter.objects.create(code="OPD-2", name="Counter 2")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert share().json()["tokenNumber"] == 1
        second = share(share_body(context="OPD-2", abhaAddress="bina@sbx", abhaNumber=""))
        assert second.json()["tokenNumber"] == 1, second.json()
        assert share(share_body(abhaAddress="chitra@sbx", abhaNumber="")).json()["tokenNumber"] == 2
        clock.shift(timedelta(days=1))
        response = share(share_body(abhaAddress="dinesh@sbx", abhaNumber=""))
        assert response.json()["tokenNumber"] == 1, response.json()


def test_a_share_matches_the_patient_registered_with_that_abha(share, counter):
    raju = Patient.objects.create(name="Raju Prasad", abha_address="raju.prasad@sbx")
    share()
    assert ProfileShare.objects.get().patient == raju


def _nothing_stored():
    return not ProfileShare.objects.exists() and not CounterDay.objects.exists()


@pytest.mark.parametrize("make_token", [
    lambda fake: fake.sign(key=_key(1)),  # signed by someone else, claiming the gateway's key
    lambda fake: fake.sign(kid="unknown-key"),
    lambda fake: fake.sign(expires_in=timedelta(minutes=-1)),
    lambda fake: "not-a-jwt",
])
def test_a_token_the_gateway_did_not_sign_is_401_and_nothing_is_stored(share, counter, fake_gateway, make_token):
    response = share(token=make_token(fake_gateway))
    assert response.status_code == 401 and "not valid" in response.json()["detail"]
    assert _nothing_stored() and fake_gateway.on_shares == []


def test_no_bearer_token_is_401(client, counter, fake_gateway):
    response = client.post("/abdm/api/v3/hip/patient/share", json.dumps(share_body()), content_type="application/json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer" and _nothing_stored()


def test_the_gateways_keys_are_fetched_once_and_kept(share, counter, fake_gateway):
    share()
    share(share_body(abhaAddress="bina@sbx", abhaNumber=""))
    assert fake_gateway.certs_fetches == 1


@pytest.mark.parametrize("change,where,reason", [
    ({"intent": "LINK"}, "intent", "PROFILE_SHARE"),
    ({"metaData": {"hipId": "IN999", "context": "OPD-1"}}, "metaData", "not IN999"),
    ({"metaData": {"hipId": "IN0000012345", "context": "NOPE"}}, "metaData.context", "No open registration counter"),
    ({"patient": {"abhaAddress": ""}}, "profile", "abhaAddress"),
    ({"patient": {"abhaAddress": "raju@gmail.com"}}, "profile", "name@abdm"),
    ({"patient": {"abhaNumber": "123"}}, "profile", "14 digits"),
    ({"patient": {"gender": "X"}}, "profile", "M, F or O"),
    ({"patient": {"yearOfBirth": "next year"}}, "profile", "valid integer"),
    ({"patient": {"dayOfBirth": "31", "monthOfBirth": "2"}}, "profile", "not a date"),
    ({"patient": {"name": "   "}}, "profile", "name"),
])
def test_a_malformed_share_is_400_with_its_reason_and_nothing_stored(share, counter, change, where, reason):
    body = share_body(**change.pop("patient", {}))
    body.update(change)
    response = share(body)
    assert response.status_code == 400
    assert where in response.json()["errors"] and reason in json.dumps(response.json()["errors"])
    assert _nothing_stored()


def test_a_share_without_the_gateways_request_id_is_400(share, counter):
    response = share(request_id="")
    assert response.status_code == 400 and "REQUEST-ID" in response.json()["errors"] and _nothing_stored()


def test_a_body_that_is_not_json_is_400(share, counter):
    response = share(raw="{not json")
    assert response.status_code == 400 and response.json()["detail"] == "The body is not JSON." and _nothing_stored()


@answered
def test_the_gateway_down_when_answering_is_retried_and_the_token_kept(share, counter, fake_gateway):
    fake_gateway.failures_left = 2
    assert share().json()["tokenNumber"] == 1
    shares.wait_for_answers()
    kept = ProfileShare.objects.get()
    assert kept.answer_attempts == 3 and kept.answered_at is not None and kept.answer_error == ""
    assert len(fake_gateway.on_shares) == 1


@answered
def test_the_gateway_down_for_every_try_keeps_the_token_and_records_why(share, counter, fake_gateway):
    fake_gateway.failures_left = 99
    assert share().json()["tokenNumber"] == 1
    shares.wait_for_answers()
    kept = ProfileShare.objects.get()
    assert kept.answered_at is None and kept.answer_attempts == 3 and "503" in kept.answer_error
    assert share(share_body(abhaAddress="next.one@sbx", abhaNumber="")).json()["tokenNumber"] == 2  # the number stays taken


def test_with_no_gateway_settings_the_callback_says_scan_and_share_is_off(client, db, settings):
    settings.ABDM_CLIENT_ID = settings.ABDM_CLIENT_SECRET = settings.ABDM_HIP_ID = ""
    response = client.post("/abdm/api/v3/hip/patient/share", "{}", content_type="application/json")
    assert response.status_code == 503
    assert "Scan & Share is off: set ABDM_CLIENT_ID, ABDM_CLIENT_SECRET, ABDM_HIP_ID" in response.json()["detail"]


@answered
def test_a_share_reaches_the_desks_inbox_after_commit(share, counter):
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from queues.broadcast import DESK_GROUP

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(DESK_GROUP, channel)
    share()
    message = async_to_sync(layer.receive)(channel)
    assert 'id="abdm-inbox-OPD-1"' in message["html"] and "OPD-1-1" in message["html"] and "Raju Prasad" in message["html"]
