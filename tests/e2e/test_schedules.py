"""A manager sets up a doctor's week in the browser and edits one day."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling import roles
from scheduling.models import Slot
from tests.e2e.conftest import screenshot
from tests.staff import role_group

pytestmark = pytest.mark.browser


def test_a_manager_generates_a_week_of_slots_from_a_pattern(page, live_server_url, login, django_user_model, doctor):
    user = django_user_model.objects.create_user("meera", password="manager-pass-42")
    user.groups.add(role_group(roles.MANAGER))
    login("meera", "manager-pass-42")
    page.goto(f"{live_server_url}/schedules/")
    page.get_by_role("link", name="Dr. Asha Rao").click()
    expect(page.get_by_role("heading", name="Dr. Asha Rao", level=1)).to_be_visible()
    page.get_by_label("Start").fill("09:00")
    page.get_by_label("End").fill("13:00")
    page.get_by_label("Slot length (minutes)").fill("60")
    page.get_by_label("Patients per slot").fill("15")
    page.get_by_role("button", name="Add pattern").click()
    expect(page.locator("#patterns-table")).to_contain_text("Mon-Sat")
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(days=7)
    page.get_by_label("From").fill(monday.isoformat())
    page.get_by_label("To (inclusive)").fill((monday + timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("status")).to_contain_text("24 slots created")
    assert Slot.objects.filter(doctor=doctor).count() == 24
    screenshot(page, "schedules-doctor")
    page.goto(f"{live_server_url}/schedules/day/?doctor={doctor.pk}&date={monday.isoformat()}")
    expect(page.locator("#day-slots tbody tr")).to_have_count(4)
    page.get_by_label("Capacity of the 09:00 slot").fill("20")
    page.locator("#day-slots tbody tr").first.get_by_role("button", name="Set").click()
    expect(page.get_by_role("status")).to_contain_text("Capacity changed")
    assert Slot.objects.filter(doctor=doctor, max_capacity=20).count() == 1
