"""Browser: a patient's status page on a phone updates by itself when the doctor calls, and its
first view downloads less than the 2G budget."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token as ApiToken

from queues import allocation
from scheduling.models import Department, Doctor, Patient, Slot
from tests.e2e.conftest import screenshot
from tests.staff import make_staff

pytestmark = pytest.mark.browser

BUDGET_BYTES = 30 * 1024
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def booked(transactional_db, local_noon):
    doctor = Doctor.objects.create(name="Dr. Asha Rao", room="4", token_prefix="GM", department=Department.objects.create(name="OPD"))
    start = timezone.now() - timedelta(minutes=20)
    slot = Slot.objects.create(doctor=doctor, start_time=start, end_time=start + timedelta(hours=2), max_capacity=10)
    tokens = [
        allocation.book_token(slot_id=slot.pk, patient_id=Patient.objects.create(name=f"Patient {n}", phone=f"98{n:08d}").pk,
                              category="WALKIN").token
        for n in range(2)
    ]
    return slot, tokens


def test_the_status_page_on_a_phone_follows_the_doctors_calls(browser, live_server_url, booked):
    slot, (first, mine) = booked
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sizes = []
    page.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
    page.goto(f"{live_server_url}/s/{mine.status_code}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    assert sum(sizes) < BUDGET_BYTES, f"first view transferred {sum(sizes)} bytes"
    expect(page.locator("h1")).to_have_text("GM-2")
    expect(page.locator("#status-body")).to_contain_text("People ahead of you")

    # The doctor calls twice (through the API, as their page's button does): the first patient,
    # then me. The test thread runs Playwright's event loop, so the calls go over HTTP.
    doctor_key = ApiToken.objects.create(user=make_staff("rao", "Doctor", slot.doctor)).key
    for _ in range(2):
        response = page.request.post(f"{live_server_url}/api/v1/doctors/{slot.doctor_id}/call_next/",
                                     headers={"Authorization": f"Token {doctor_key}"})
        assert response.status == 200, response.text()
    expect(page.get_by_role("alert")).to_have_text("You are being called — go to room 4.")
    expect(page.locator("#stale")).to_be_hidden()
    screenshot(page, "status-page-called")
    context.close()
