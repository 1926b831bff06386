"""Browser: the desk books, the doctor's page and the board update without reload; the doctor
calls next and the board shows the number. Screenshots of both for the README."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token as ApiToken

from queues import allocation
from queues.models import Display
from scheduling.models import Department, Doctor, Patient, Slot
from tests.e2e.conftest import screenshot
from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.browser

DOCTORS = [
    ("Dr. Asha Rao", "4", "AR"), ("Dr. Vikram Mehta", "7", "C"), ("Dr. Priya Nair", "2", ""), ("Dr. Sanjay Gupta", "11", "SG"),
    ("Dr. Meera Iyer", "9", "MI"), ("Dr. Arjun Singh", "5", ""), ("Dr. Kavya Menon", "12", "KM"), ("Dr. Rohan Bose", "3", "RB"),
]


@pytest.fixture
def clinic(transactional_db, local_noon):
    dept = Department.objects.create(name="OPD")
    doctors = [
        Doctor.objects.create(name=n, room=r, token_prefix=prefix, department=dept, specialization="Physician")
        for n, r, prefix in DOCTORS
    ]
    start = timezone.now() - timedelta(minutes=30)
    slots = [Slot.objects.create(doctor=d, start_time=start, end_time=start + timedelta(hours=2), max_capacity=20) for d in doctors]
    patients = [Patient.objects.create(name=f"Patient {n}", phone=f"98{n:08d}") for n in range(60)]
    return doctors, slots, patients


def fill(slot, patients, arrived=4, called=True):
    """Book the patients into the slot: the first `arrived` as walk-ins (checked in at booking),
    the rest online (expected until they check in)."""
    tokens = []
    for n, p in enumerate(patients):
        category = "WALKIN" if n < arrived else "ONLINE"
        tokens.append(allocation.book_token(slot_id=slot.pk, patient_id=p.pk, category=category).token)
    if called:
        allocation.call_next(slot_id=slot.pk)
        allocation.call_next(slot_id=slot.pk)
    return tokens


def board_page(browser, url):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    return page


def test_desk_booking_and_call_next_reach_the_doctor_page_and_the_board_live(
    page, browser, live_server_url, login, clinic
):
    doctors, slots, patients = clinic
    rao = doctors[0]
    for i, (doctor, slot) in enumerate(zip(doctors[1:], slots[1:]), start=1):
        fill(slot, patients[i * 6:(i + 1) * 6], arrived=3 + i % 3)
    allocation.delay_slot(slot_id=slots[3].pk, delay_minutes=30)
    first = fill(slots[0], patients[:4], arrived=2, called=False)
    display = Display.objects.create(name="Main waiting hall")

    make_staff("rao", "Doctor", rao)
    receptionist = make_staff("desk", "Reception")
    api_key = ApiToken.objects.create(user=receptionist).key

    login("rao", PASSWORD)
    page.goto(f"{live_server_url}/doctor/{rao.pk}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    board = board_page(browser, f"{live_server_url}/board/{display.key}/")
    page.evaluate("window.__noReload = true")
    board.evaluate("window.__noReload = true")

    # The desk books a walk-in: it appears on the doctor's page and the board, no reload.
    newcomer = Patient.objects.create(name="Sunita Devi", phone="9876500001")
    response = page.request.post(
        f"{live_server_url}/api/v1/tokens/",
        data={"slot_id": str(slots[0].pk), "patient_id": str(newcomer.pk), "category": "WALKIN"},
        headers={"Authorization": f"Token {api_key}"},
    )
    assert response.status == 201, response.text()
    label = response.json()["token_label"]
    assert label == f"AR-{response.json()['token_number']}"
    expect(page.locator("#doctor-queue")).to_contain_text("Sunita Devi")
    row = board.locator(f"#board-doctor-{rao.pk}")
    # A walk-in is present at once: next on the board, behind the two present patients; the two
    # online patients who have not arrived are not "next".
    expect(row.locator(".cell-next .num")).to_have_text([first[0].token_label, first[1].token_label, label])
    assert "Sunita" not in board.content()

    # The doctor calls the next patient by keyboard: the board shows the label.
    page.keyboard.press("n")
    expect(page.locator("#doctor-queue [data-current-token]")).to_have_attribute("data-current-token", first[0].token_label)
    expect(row.locator(".now-number")).to_have_text(first[0].token_label)
    expect(board.locator("body")).to_have_attribute("data-last-call", first[0].token_label)
    expect(row.locator(".cell-next .num")).to_have_text([first[1].token_label, label])
    assert page.evaluate("window.__noReload") and board.evaluate("window.__noReload")

    page.wait_for_timeout(300)
    screenshot(page, "doctor-queue")
    board.wait_for_timeout(1200)
    screenshot(board, "board")


def test_a_hindi_board(browser, live_server_url, clinic):
    doctors, slots, patients = clinic
    for i, slot in enumerate(slots[:4]):
        fill(slot, patients[i * 5:(i + 1) * 5], arrived=3)
    allocation.delay_slot(slot_id=slots[1].pk, delay_minutes=20)
    display = Display.objects.create(name="बाल रोग प्रतीक्षा कक्ष", language="hi")
    display.doctors.set(doctors[:4])
    board = board_page(browser, f"{live_server_url}/board/{display.key}/")
    expect(board.locator("#board-rows")).to_contain_text("कमरा")
    # The vendored Devanagari font, not whatever the TV has (often none: empty boxes).
    loaded = board.evaluate("""document.fonts.ready.then(() => Array.from(document.fonts)
        .filter(f => f.family.replace(/"/g, '') === 'Noto Sans Devanagari' && f.status === 'loaded').length)""")
    assert loaded >= 1
    # Nothing overflows the 1920x1080 screen.
    assert board.evaluate("document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth")
    screenshot(board, "board-hindi")


def test_a_board_closes_when_a_manager_revokes_it(page, browser, live_server_url, login, clinic):
    display = Display.objects.create(name="Hall")
    board = board_page(browser, f"{live_server_url}/board/{display.key}/")
    make_staff("boss", "Manager")
    login("boss", PASSWORD)
    page.goto(f"{live_server_url}/displays/")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status").first).to_contain_text("revoked")
    expect(board.locator("body")).to_contain_text("no longer valid")


def test_the_board_clock_shows_the_hospitals_time_whatever_the_tvs_time_zone(browser, live_server_url):
    display = Display.objects.create(name="Hall")
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="UTC")  # a TV left on UTC
    board = context.new_page()
    board.goto(f"{live_server_url}/board/{display.key}/")
    now = timezone.localtime()  # the hospital's zone (Asia/Kolkata, UTC+05:30)
    shown = board.locator("#board-clock").inner_text()
    expected = {f"{t:%I:%M}" for t in (now, now + timedelta(minutes=1))}
    assert shown[:5] in expected, f"{shown!r}, hospital time {now:%H:%M}"
    context.close()
