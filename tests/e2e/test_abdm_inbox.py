"""Scan & Share in Chromium: a profile shared through the (fake) gateway appears in the desk's
inbox by itself, and the receptionist books it with a doctor by keyboard."""

import json
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from abdm import shares
from abdm.models import ProfileShare, RegistrationCounter
from queues.models import Token
from scheduling import roles
from tests.abdm.conftest import fake_gateway, share_body  # noqa: F401 (a fixture)
from tests.staff import role_group

pytestmark = pytest.mark.browser
PASSWORD = "counter-pass-42"


def post_share(base_url, fake):
    request = urllib.request.Request(
        f"{base_url}/abdm/api/v3/hip/patient/share", data=json.dumps(share_body()).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {fake.sign()}", "REQUEST-ID": str(uuid.uuid4())},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_a_shared_profile_arrives_in_the_inbox_and_is_booked_by_keyboard(
        page, live_server_url, login, local_noon, fake_gateway, make_slot, doctor, django_user_model):  # noqa: F811
    RegistrationCounter.objects.create(code="OPD-1", name="Main OPD counter 1")
    slot = make_slot(capacity=8)
    user = django_user_model.objects.create_user("asha", password=PASSWORD)
    user.groups.add(role_group(roles.RECEPTION))
    login("asha", PASSWORD)
    page.goto(f"{live_server_url}/desk/")
    inbox = page.locator("#abdm-inbox-OPD-1")
    expect(inbox).to_contain_text("No profiles shared at OPD-1 today yet.")
    expect(page.locator("html[data-live=open]")).to_have_count(1)

    assert post_share(live_server_url, fake_gateway) == (202, {"status": "ACCEPTED", "tokenNumber": 1, "counter": "OPD-1", "repeat": False})
    expect(inbox).to_contain_text("Raju Prasad")
    expect(inbox).to_contain_text("OPD-1-1")

    doctor_choice = page.get_by_label("Doctor for Raju Prasad")
    doctor_choice.focus()
    page.keyboard.type("Dr. Asha")  # a select's type-ahead picks the doctor
    expect(doctor_choice).to_have_value(str(doctor.pk))
    page.keyboard.press("Tab")  # the category (walk-in)
    page.keyboard.press("Tab")  # the Book button
    expect(page.get_by_role("button", name="Book OPD-1-1")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#desk-status")).to_contain_text("Raju Prasad (counter token OPD-1-1) booked:")
    token = Token.objects.get()
    assert token.slot == slot and ProfileShare.objects.get().token == token
    assert token.patient.abha_address == "raju.prasad@sbx"
    expect(page.locator("#desk-status")).to_contain_text(token.token_label)
    expect(inbox).to_contain_text(f"booked {token.token_label}")
    shares.wait_for_answers()
    assert [a["body"]["acknowledgement"]["profile"]["tokenNumber"] for a in fake_gateway.on_shares] == ["1"]
