"""A manager adds a Reception login in the browser, and the new receptionist logs in with it."""

import pytest
from playwright.sync_api import expect

from scheduling import roles
from tests.e2e.conftest import screenshot
from tests.staff import make_staff

pytestmark = pytest.mark.browser


def test_a_manager_adds_a_reception_login_that_then_logs_in(page, live_server_url, login, doctor, django_user_model):
    make_staff("meera", roles.MANAGER, password="manager-pass-42")
    make_staff("drasha", roles.DOCTOR, doctor=doctor)
    django_user_model.objects.filter(username="meera").update(first_name="Meera", last_name="Nair")
    django_user_model.objects.filter(username="drasha").update(first_name="Asha", last_name="Rao")
    login("meera", "manager-pass-42")
    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff logins", level=1)).to_be_visible()
    page.get_by_role("link", name="Add a staff login").click()

    page.get_by_label("Username").fill("sunita")
    page.get_by_label("First name").fill("Sunita")
    page.get_by_label("Last name").fill("Das")
    page.get_by_label("Reception (desk)").check()
    page.get_by_label("Password", exact=True).fill("Counter-lamp-2024")
    page.get_by_label("Password confirmation").fill("Counter-lamp-2025")
    page.get_by_role("button", name="Add login").click()
    # A typo in the confirmation: explained next to the field, the rest kept.
    expect(page.locator("#id_password2-error")).to_contain_text("didn")
    expect(page.get_by_label("Username")).to_have_value("sunita")
    page.get_by_label("Password", exact=True).fill("Counter-lamp-2024")
    page.get_by_label("Password confirmation").fill("Counter-lamp-2024")
    page.get_by_role("button", name="Add login").click()

    expect(page.get_by_role("status")).to_contain_text("Login sunita added as Reception.")
    expect(page.locator("#staff-table")).to_contain_text("Sunita Das")
    expect(page.locator("#staff-table")).to_contain_text("Dr. Asha Rao")
    screenshot(page, "staff")

    page.get_by_role("button", name="Log out").click()
    login("sunita", "Counter-lamp-2024")
    assert page.url.rstrip("/").endswith("/desk")
    expect(page.get_by_role("link", name="Staff")).to_have_count(0)
