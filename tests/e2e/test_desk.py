"""The reception desk in Debian's Chromium: what a receptionist does, by keyboard, and what the
screen shows (screenshots for the README go to docs/screenshots/)."""

import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from queues import allocation
from queues.models import Token
from scheduling import roles
from scheduling.models import Department, Doctor, Patient, Slot
from tests.e2e.conftest import screenshot
from tests.staff import role_group

pytestmark = pytest.mark.browser

AXE = os.path.join(os.path.dirname(__file__), "..", "..", "static", "vendor", "axe-core-4.14.1", "axe.min.js")
PASSWORD = "counter-pass-42"


@pytest.fixture
def receptionist(page, live_server_url, login, django_user_model):
    user = django_user_model.objects.create_user("asha", password=PASSWORD)
    user.groups.add(role_group(roles.RECEPTION))

    def at_the_desk():
        """Logged in, on the desk, the cursor in the search box: as a receptionist starts typing
        once it shows there (a key pressed before the page has put the focus there goes nowhere)."""
        login("asha", PASSWORD)
        expect(page.locator("#q")).to_be_focused()

    return at_the_desk


@pytest.fixture
def clinic(live_server_url, local_noon, make_slot, make_patient):
    """A morning like the demo's: three doctors, the current and next slot each, a few bookings
    (the first three present: the walk-in checked in at booking, the others at the desk)."""
    Department.objects.filter(name="General Medicine").update(token_prefix="GM")
    cardio = Department.objects.create(name="Cardiology", token_prefix="C")
    doctors = [
        Doctor.objects.get(name="Dr. Asha Rao"),
        Doctor.objects.create(name="Dr. Vikram Mehta", specialization="Cardiologist", department=cardio, room="7"),
        Doctor.objects.create(name="Dr. Priya Nair", specialization="Paediatrician", room="2"),
    ]
    slots = {}
    for doctor in doctors:
        slots[doctor.name] = [make_slot(capacity=8, of=doctor), make_slot(capacity=8, of=doctor, starts_in=timedelta(minutes=50))]
    names = ["Ramesh Kumar", "Sunita Devi", "Anil Sharma", "Kavita Joshi", "Mohammed Irfan", "Lakshmi Menon"]
    for n, name in enumerate(names):
        patient = make_patient(name, hospital_number=f"H{1001 + n}")
        result = allocation.book_token(slot_id=slots[doctors[n % 3].name][0].pk, patient_id=patient.pk,
                                       category=["WALKIN", "ONLINE", "FOLLOWUP"][n % 3])
        if n < 3 and result.token.status == Token.Status.CONFIRMED:
            allocation.check_in(token_id=result.token.pk)
    make_patient("Geeta Mishra", phone="9812345678", age=52, sex="F", hospital_number="H2001")
    return {"doctors": doctors, "slots": slots}


def axe_violations(page):
    # Evaluated through the browser's debugging protocol: an injected <script> tag would be inline
    # script, which the page's Content-Security-Policy (rightly) refuses.
    with open(AXE, encoding="utf-8") as source:
        page.evaluate(f"() => {{ {source.read()}\n; window.axe = axe; }}")
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [(v["id"], v["impact"], [(n["target"], n.get("failureSummary", "")[-160:]) for n in v["nodes"]][:6]) for v in result if v["impact"] in ("serious", "critical")]


def test_a_walk_in_is_booked_by_keyboard_only(page, live_server_url, receptionist, clinic):
    receptionist()
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("98123")
    expect(page.locator(".patient-result")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_doctor")).to_be_focused()
    page.keyboard.type("Dr. V")  # a select picks by typing; the doctor's open slots follow
    expect(page.locator("#id_slot option:checked")).to_contain_text("2/8")
    page.keyboard.press("2")  # the category keys work from the doctor list, where the focus is
    expect(page.locator("#cat-ONLINE")).to_be_checked()
    expect(page.locator("#cat-ONLINE")).to_be_focused()
    screenshot(page, "desk")
    page.keyboard.press("Enter")
    result = page.locator("#booking-result")
    expect(result).to_contain_text("Token C-3 · Geeta Mishra")  # the doctor's third token today, cardiology's prefix
    expect(result).to_contain_text("Dr. Vikram Mehta, room 7 · Online · checks in on arrival")
    expect(result).to_contain_text("2 ahead today")
    expect(page.locator("#print-slip")).to_be_focused()
    expect(page.locator("#q")).to_have_value("")
    screenshot(page, "desk-booking-result")
    token = Token.objects.get(patient__name="Geeta Mishra")
    assert token.category == "ONLINE" and token.slot.doctor.name == "Dr. Vikram Mehta"
    with page.context.expect_page() as opened:
        page.keyboard.press("p")
    slip = opened.value
    slip.wait_for_load_state()
    assert re.search(rf"/tokens/{token.pk}/slip/\?print=1$", slip.url)
    expect(slip.locator("h1")).to_have_text("Token C-3")
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()


def test_a_new_patient_is_registered_inline_and_booked(page, live_server_url, receptionist, clinic):
    receptionist()
    page.keyboard.type("Nila <b>Das</b>")
    expect(page.locator("#register-form")).to_be_visible()
    page.locator("#id_new_phone").fill("12")
    page.get_by_role("button", name="Register and choose").click()
    expect(page.locator("#id_new_phone-error")).to_contain_text("Use digits only")
    expect(page.locator("#id_new_name")).to_have_value("Nila <b>Das</b>")
    page.locator("#id_new_phone").fill("9123456789")
    page.get_by_role("button", name="Register and choose").click()
    expect(page.locator("#book-form")).to_contain_text("Nila <b>Das</b>")  # shown as text
    page.locator("#id_doctor").select_option(label="Dr. Priya Nair · room 2")
    page.locator("#book-button").click()
    expect(page.locator("#booking-result")).to_contain_text("Nila <b>Das</b>")
    assert Patient.objects.get(phone="9123456789").name == "Nila <b>Das</b>"


def test_an_emergency_is_confirmed_then_lands_at_the_head_of_the_queue(page, live_server_url, receptionist, clinic):
    receptionist()
    page.keyboard.type("Geeta")
    page.locator(".patient-result").first.click()
    page.locator("#id_doctor").select_option(label="Dr. Asha Rao · room 4")
    page.locator("#emergency-button").click()
    dialog = page.locator("#desk-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("head of the queue")
    assert not Token.objects.filter(patient__name="Geeta Mishra").exists()
    expect(page.locator("#confirm-emergency")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    result = page.locator("#booking-result")
    expect(result).to_contain_text("Emergency token")
    expect(result).to_contain_text("First in the queue")
    expect(result).to_contain_text("checked in")
    assert Token.objects.get(patient__name="Geeta Mishra").category == "EMERGENCY"


def test_a_cancellation_promotes_a_waiting_patient_and_the_desk_shows_it_without_reload(
    page, live_server_url, receptionist, clinic, make_patient, settings
):
    settings.DESK_POLL_SECONDS = 2  # the poll is the fallback when no websocket message comes
    slot = clinic["slots"]["Dr. Priya Nair"][1]
    allocation.change_capacity(slot_id=slot.pk, max_capacity=1)
    first = allocation.book_token(slot_id=slot.pk, patient_id=make_patient("Booked First").pk, category="WALKIN").token
    allocation.book_token(slot_id=slot.pk, patient_id=make_patient("Waiting Patient").pk, category="FOLLOWUP")
    receptionist()
    page.locator(f"#chip-{slot.pk}").click()
    panel = page.locator("#slot-panel")
    expect(panel.locator("#waiting-table")).to_contain_text("Waiting Patient")
    expect(page.locator(f"#chip-{slot.pk}")).to_contain_text("1 waiting")
    # Another receptionist cancels at the next counter: this page is not reloaded.
    page.evaluate("window.__marker = 'same page'")
    allocation.cancel_token(token_id=first.pk, reason="Patient asked to cancel")
    expect(panel.locator("#queue-table")).to_contain_text("Waiting Patient", timeout=20000)
    expect(panel.locator("#waiting-table")).to_contain_text("Nobody on the waiting list")
    expect(page.locator(f"#chip-{slot.pk}")).not_to_contain_text("waiting")
    assert page.evaluate("window.__marker") == "same page"


def test_cancelling_from_the_desk_asks_for_a_reason(page, live_server_url, receptionist, clinic):
    slot = clinic["slots"]["Dr. Asha Rao"][0]
    token = Token.objects.filter(slot=slot).first()
    receptionist()
    page.locator(f"#chip-{slot.pk}").click()
    page.locator(f"#cancel-{token.pk}").click()
    expect(page.locator("#desk-dialog")).to_be_visible()
    page.locator("#id_reason").fill("Booked in error")
    page.keyboard.press("Enter")
    expect(page.locator("#desk-dialog")).to_be_hidden()
    expect(page.locator("#desk-status")).to_contain_text(f"Token {token.token_label} ")
    assert token.token_label.startswith("GM-")
    expect(page.locator("#queue-table")).not_to_contain_text(token.patient.name)
    token.refresh_from_db()
    assert token.status == "CANCELLED" and token.cancel_reason == "Booked in error"


def test_a_delay_is_set_and_shown_on_the_board(page, live_server_url, receptionist, clinic):
    slot = clinic["slots"]["Dr. Vikram Mehta"][0]
    later = clinic["slots"]["Dr. Vikram Mehta"][1]
    receptionist()
    page.locator(f"#chip-{slot.pk}").click()
    page.locator("#delay-button").click()
    page.locator("#id_delay_minutes").fill("25")
    page.keyboard.press("Enter")
    expect(page.locator("#desk-status")).to_contain_text("delayed by 25 min")
    expect(page.locator(f"#chip-{slot.pk}")).to_contain_text("delayed 25 minutes")
    expect(page.locator("#slot-panel")).to_contain_text("Delayed 25 min")
    expect(page.locator(f"#chip-{later.pk}")).to_contain_text("delayed")  # the later slot moves too
    slot.refresh_from_db()
    assert slot.delay_minutes == 25 and slot.status == Slot.Status.DELAYED
    screenshot(page, "desk-slot-panel")


def test_the_slip_prints_on_80mm_paper(page, live_server_url, receptionist, clinic):
    token = Token.objects.filter(slot__doctor__name="Dr. Vikram Mehta").first()
    receptionist()
    page.goto(f"{live_server_url}/tokens/{token.pk}/slip/")
    expect(page.locator("h1")).to_have_text(f"Token {token.token_label}")
    expect(page.locator(".slip")).to_contain_text("Dr. Vikram Mehta")
    expect(page.locator(".slip")).to_contain_text("Room")
    screenshot(page, "slip")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print (P)")).to_be_hidden()
    width = page.locator(".slip").evaluate("el => el.getBoundingClientRect().width")
    assert 260 < width < 280  # 72 mm printable on 80 mm paper
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")


def test_desk_and_slip_have_no_serious_accessibility_violations(page, live_server_url, receptionist, clinic):
    receptionist()
    page.keyboard.type("Geeta")
    page.locator(".patient-result").first.click()
    page.locator(f"#chip-{clinic['slots']['Dr. Asha Rao'][0].pk}").click()
    expect(page.locator("#queue-table")).to_be_visible()
    assert axe_violations(page) == []
    token = Token.objects.first()
    page.goto(f"{live_server_url}/tokens/{token.pk}/slip/")
    assert axe_violations(page) == []
