"""When the database cannot answer, staff and API clients get a 503 with Retry-After (JSON for
the API, a page saying so for staff), never Django's bare "Server Error (500)"; malformed
input too deep to parse is a 400. (The same with a real PostgreSQL stopped under load:
tests/integration/test_database_outage.py.)"""

from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.authtoken.models import Token as ApiToken
from rest_framework.test import APIClient

from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@contextmanager
def database_down():
    """Every query on this connection fails as it does when PostgreSQL has gone away."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def api_client(role="Reception"):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=make_staff('api-' + role, role)).key}")
    return client


def test_an_api_request_while_the_database_is_down_gets_a_json_503_with_retry_after(slot, patient):
    client = api_client()
    with database_down():
        response = client.post("/api/v1/tokens/", {"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "database_unavailable"
    assert "try again" in response.json()["detail"]


def test_a_staff_page_while_the_database_is_down_says_so_with_a_503(client, django_user_model):
    client = Client(raise_request_exception=False)
    client.force_login(make_staff("desk", "Reception"))
    with database_down():
        response = client.get("/desk/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response["Content-Type"].startswith("text/html")
    assert b"database" in response.content and b"Server Error (500)" not in response.content
    assert b"try again" in response.content


def test_an_unexpected_error_in_the_api_answers_json_not_an_html_page(monkeypatch, doctor):
    from scheduling.api import DoctorViewSet

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(DoctorViewSet, "list", broken)
    response = api_client().get("/api/v1/doctors/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "server_error"


@pytest.mark.parametrize("body", ["[" * 50000, '{"a":' * 50000])
def test_deeply_nested_json_is_refused_with_400(slot, body):
    response = api_client().generic("POST", "/api/v1/tokens/", body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


@pytest.mark.postgresql  # psycopg's connect_timeout and pool
def test_the_database_is_given_two_seconds_to_connect_or_lend_a_connection(settings):
    from config.settings import DATABASES

    options = DATABASES["default"]["OPTIONS"]
    assert options["connect_timeout"] == 2
    assert options["pool"]["timeout"] == 2


def test_a_page_whose_session_save_meets_the_outage_gets_the_503_page_not_a_400(monkeypatch):
    """The desk was read before the database stopped; saving the session on the way out fails.
    Django's database sessions call that "session deleted" (400 Bad Request): it is an outage."""
    from django.contrib.sessions.models import Session

    client = Client(raise_request_exception=False)
    client.force_login(make_staff("desk", "Reception"))

    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Session, "save", refuse)
    response = client.get("/desk/")  # the first visit after login touches (saves) the session
    assert response.status_code == 503
    assert response["Retry-After"]
    assert b"try again" in response.content.lower()


def test_a_session_deleted_meanwhile_still_ends_in_a_400(monkeypatch):
    """Not an outage: another request logged the user out. Django's answer stands."""
    from django.contrib.sessions.models import Session
    from django.db import DatabaseError

    client = Client(raise_request_exception=False)
    client.force_login(make_staff("desk", "Reception"))

    def gone(self, *args, **kwargs):
        raise DatabaseError("Forced update did not affect any rows.")

    monkeypatch.setattr(Session, "save", gone)
    assert client.get("/desk/").status_code == 400
