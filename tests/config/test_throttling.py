"""Login lockout and API throttles: a busy desk or an integrating system never meets them, a
script does. Refusals are 429 with Retry-After."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token as ApiToken
from rest_framework.test import APIClient

from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def log_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


# --- logins -----------------------------------------------------------------------------------------


def test_after_five_wrong_passwords_even_the_right_one_is_refused_until_the_cool_off(client):
    make_staff("desk", "Reception")
    for _ in range(4):
        assert log_in(client, "desk", "wrong-password").status_code == 200  # the form again, with the error
    assert log_in(client, "desk", "wrong-password").status_code == 429  # the fifth locks
    locked = log_in(client, "desk", PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert log_in(client, "desk", PASSWORD).status_code == 302


def test_a_lockout_is_for_that_login_from_that_address_only(client):
    make_staff("desk", "Reception")
    make_staff("desk2", "Reception")
    for _ in range(5):
        log_in(client, "desk", "wrong-password")
    assert log_in(Client(), "desk2", PASSWORD).status_code == 302  # a colleague at the same PC
    other_pc = Client().post("/accounts/login/", {"username": "desk", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert other_pc.status_code == 302


def test_a_few_mistakes_then_the_right_password_log_in(client):
    make_staff("desk", "Reception")
    for _ in range(3):
        log_in(client, "desk", "wrong-password")
    assert log_in(client, "desk", PASSWORD).status_code == 302


# --- the API ----------------------------------------------------------------------------------------


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user).key}")
    return client


def test_a_staff_token_over_its_rate_gets_429_with_retry_after(settings, doctor):
    settings.API_THROTTLE_RATE = "5/min"
    client = token_client(make_staff("desk", "Reception"))
    assert [client.get("/api/v1/doctors/").status_code for _ in range(5)] == [200] * 5
    refused = client.get("/api/v1/doctors/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower() or "request was throttled" in refused.json()["detail"].lower()
    other = token_client(make_staff("desk2", "Reception"))
    assert other.get("/api/v1/doctors/").status_code == 200  # per staff member
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        assert client.get("/api/v1/doctors/").status_code == 200


def test_the_default_rate_lets_a_busy_desk_through(doctor):
    client = token_client(make_staff("desk", "Reception"))
    assert {client.get("/api/v1/doctors/").status_code for _ in range(100)} == {200}


def test_off_turns_the_staff_throttle_off(settings, doctor):
    settings.API_THROTTLE_RATE = "off"
    client = token_client(make_staff("desk", "Reception"))
    assert {client.get("/api/v1/doctors/").status_code for _ in range(700)} == {200}


def test_bad_tokens_from_one_address_soon_get_429(settings):
    settings.API_ANON_THROTTLE_RATE = "10/min"
    client = APIClient()
    statuses = [client.get("/api/v1/doctors/", HTTP_AUTHORIZATION=f"Token {n:040d}").status_code for n in range(15)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    refused = client.get("/api/v1/doctors/")  # and anonymous calls from there too
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_anonymous_calls_are_limited_far_below_staff(settings):
    assert settings.API_ANON_THROTTLE_RATE == "30/min"
    client = APIClient()
    statuses = [client.get("/api/v1/slots/").status_code for _ in range(31)]
    assert statuses[:30] == [401] * 30 and statuses[30] == 429


def test_the_throttle_adds_no_database_query(settings, doctor):
    client = token_client(make_staff("desk", "Reception"))
    client.get("/api/v1/doctors/")  # the token is remembered from here on

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/doctors/").status_code == 200
        return len(captured)

    throttled = queries()
    settings.API_THROTTLE_RATE = "off"
    assert throttled == queries()


# --- the patient registry ---------------------------------------------------------------------------


def test_the_registry_is_searched_not_listed(make_patient):
    for _ in range(3):
        make_patient()
    client = token_client(make_staff("desk", "Reception"))
    listing = client.get("/api/v1/patients/")
    assert listing.status_code == 400
    assert "phone, name or hospital number" in listing.json()["detail"]
    assert client.get("/api/v1/patients/?phone=98").json()["count"] == 3


def test_a_registry_search_answers_at_most_fifty_a_page(make_patient):
    for _ in range(60):
        make_patient()
    client = token_client(make_staff("desk", "Reception"))
    page = client.get("/api/v1/patients/?phone=98&page_size=500").json()
    assert len(page["results"]) == 50 and page["count"] == 60 and page["next"]
