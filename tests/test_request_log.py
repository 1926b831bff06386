"""Structured logs: a request id in every response and log line, one JSON line per request,
and no patient data in them."""

import json

import pytest
from django.test import Client

from tests.staff import make_staff


@pytest.fixture
def json_log(settings):
    """What the app logs through its configured JSON console handler, line by line."""
    import io
    from logging.config import dictConfig

    stream = io.StringIO()
    config = dict(settings.LOGGING)
    config["handlers"] = {"console": {**config["handlers"]["console"], "formatter": "json", "stream": stream}}
    settings.LOG_REQUESTS = True
    dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    dictConfig(settings.LOGGING)


@pytest.mark.django_db
def test_each_response_carries_a_request_id_and_its_log_line_the_same(client, json_log):
    response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert client.get("/healthz").headers["X-Request-ID"] != request_id
    (line,) = [entry for entry in json_log() if entry.get("request_id") == request_id]
    assert line["message"] == "request" and line["logger"] == "opdq.request" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_a_request_id_from_the_proxy_is_kept_and_a_malformed_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "a3f1c9e27b604d1c"})
    assert kept.headers["X-Request-ID"] == "a3f1c9e27b604d1c"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith a line break"})
    assert replaced.headers["X-Request-ID"] != "bad id\nwith a line break"
    assert len(replaced.headers["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_a_search_for_a_patient_leaves_their_phone_and_name_out_of_the_logs(json_log, make_patient):
    make_patient("Sunita Devi", phone="9876543210")
    desk = Client()
    desk.force_login(make_staff("desk", "Reception"))
    assert desk.get("/desk/", {"q": "9876543210"}).status_code == 200
    assert desk.get("/desk/", {"q": "Sunita"}).status_code == 200
    lines = json_log()
    assert [entry["path"] for entry in lines if entry["message"] == "request"] == ["/desk/", "/desk/"]
    text = json.dumps(lines)
    assert "9876543210" not in text and "Sunita" not in text


@pytest.mark.django_db
def test_lines_logged_while_a_request_runs_carry_its_id(client, json_log):
    response = client.get("/no-such-page/", {"q": "9876543210"})
    assert response.status_code == 404
    (warning,) = [entry for entry in json_log() if entry["logger"] == "django.request"]
    assert warning["message"] == "Not Found: /no-such-page/"
    assert warning["request_id"] == response.headers["X-Request-ID"]
    assert "9876543210" not in json.dumps(json_log())


def test_a_phone_quoted_in_an_error_is_masked_in_the_log(json_log):
    import logging

    try:
        raise ValueError("Key (phone)=(+91 9876543210) already exists.")
    except ValueError:
        logging.getLogger("queues.allocation").exception("Could not register")
    (line,) = [entry for entry in json_log() if entry["message"] == "Could not register"]
    assert "9876543210" not in line["exc_info"] and "Key (phone)=([Filtered])" in line["exc_info"]
