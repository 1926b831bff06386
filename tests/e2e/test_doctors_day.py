"""Browser: the doctor's day queue (issue #8). The board's "Next" lists only patients who are
here, a walk-in booked at the desk by keyboard is callable at once, a late arrival checked in
at the desk joins the end of the present queue, and a skipped patient is not called again next.

The server's clock stands at local noon (`local_noon`): the slots an hour or two around "now"
stay on one local day whatever time the suite runs."""

import os
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from playwright.sync_api import expect

from queues import allocation
from queues.models import Display, DoctorDay, Token
from scheduling.models import Department, Doctor, Patient, Slot
from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.browser

# Review screenshots of the new screens, only when asked for (never into the repository):
# E2E_REVIEW_SHOTS=/tmp/shots pytest tests/e2e/test_doctors_day.py
REVIEW_SHOTS = os.environ.get("E2E_REVIEW_SHOTS")


def review_shot(page, name):
    if REVIEW_SHOTS:
        os.makedirs(REVIEW_SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(REVIEW_SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def day(transactional_db, local_noon):
    """Dr. Asha Rao of General Medicine (token prefix GM), room 4, with her slot of the hour
    (11:50-12:50) and the next one (12:50-13:50), and Dr. Vikram Mehta beside her."""
    gm = Department.objects.create(name="General Medicine", token_prefix="GM")
    rao = Doctor.objects.create(name="Dr. Asha Rao", specialization="Physician", department=gm, room="4")
    mehta = Doctor.objects.create(name="Dr. Vikram Mehta", specialization="Cardiologist", room="7", token_prefix="C")
    start = local_noon - timedelta(minutes=10)
    now_slot = Slot.objects.create(doctor=rao, start_time=start, end_time=start + timedelta(hours=1), max_capacity=12)
    later_slot = Slot.objects.create(
        doctor=rao, start_time=start + timedelta(hours=1), end_time=start + timedelta(hours=2), max_capacity=12
    )
    Slot.objects.create(doctor=mehta, start_time=start, end_time=start + timedelta(hours=1), max_capacity=12)
    make_staff("rao", "Doctor", rao)
    make_staff("desk", "Reception")
    return {"rao": rao, "mehta": mehta, "now_slot": now_slot, "later_slot": later_slot, "noon": local_noon}


def book(slot, name, category, phone=None):
    patient = Patient.objects.create(name=name, phone=phone or f"98{Patient.objects.count() + 1:08d}")
    return allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category=category).token


def elsewhere(service, **kwargs):
    """Run a service as another screen would, outside this thread: here Playwright's event loop
    runs, and the service's after-commit push (async_to_sync) cannot run under it."""
    outcome = {}

    def run():
        try:
            outcome["value"] = service(**kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert "value" in outcome, f"{service.__name__} failed (see the thread's traceback above)"
    return outcome["value"]


def log_in(page, live_server_url, username):
    page.goto(f"{live_server_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def staff_page(browser, live_server_url, username, path, viewport=None):
    """Another person's screen: their own browser context, logged in, on `path`, live."""
    context = browser.new_context(viewport=viewport or {"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, live_server_url, username)
    page.goto(f"{live_server_url}{path}")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    return page


def with_the_doctor(page):
    """The token the doctor's page shows under "With the doctor now"."""
    return page.locator("#doctor-now [data-current-token]")


def test_the_boards_next_lists_only_patients_who_are_here(page, browser, live_server_url, day):
    rao = day["rao"]
    # Four patients booked online for the slot of the hour who have not come (yet), then two
    # walk-ins (checked in at the counter), the second in the later slot.
    absent = [book(day["now_slot"], f"Online Patient {n}", "ONLINE") for n in range(4)]
    walk_in = book(day["now_slot"], "Walk-in Now", "WALKIN")
    later_walk_in = book(day["later_slot"], "Walk-in Later", "WALKIN")
    assert [t.token_label for t in absent] == ["GM-1", "GM-2", "GM-3", "GM-4"]
    assert all(t.status == Token.Status.CONFIRMED for t in absent)
    assert walk_in.status == later_walk_in.status == Token.Status.ARRIVED
    display = Display.objects.create(name="Main waiting hall")
    display.doctors.set([rao, day["mehta"]])

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = context.new_page()
    board.goto(f"{live_server_url}/board/{display.key}/")
    board.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    row = board.locator(f"#board-doctor-{rao.pk}")
    # Only the present patients, in serving order: the later slot's walk-in is next after the
    # walk-in of the hour, since nobody else of the earlier slot is here.
    expect(row.locator(".cell-next .num")).to_have_text([walk_in.token_label, later_walk_in.token_label])
    shown = row.inner_text()
    for token in absent:
        assert token.token_label not in shown.split(), f"{token.token_label} never arrived: {shown!r}"
    assert "Walk-in" not in board.content() and "Online Patient" not in board.content()  # no names on a public screen
    review_shot(board, "board")

    # One online patient arrives: they join "Next" in their own place (online is served before
    # walk-ins in the same slot), live; the others still do not show.
    elsewhere(allocation.check_in, token_id=absent[2].pk)
    expect(row.locator(".cell-next .num")).to_have_text(
        [absent[2].token_label, walk_in.token_label, later_walk_in.token_label]
    )
    # "Call next" follows the same order as the board.
    elsewhere(allocation.call_next_for_doctor, doctor_id=rao.pk)
    expect(row.locator(".now-number")).to_have_text(absent[2].token_label)
    expect(row.locator(".cell-next .num")).to_have_text([walk_in.token_label, later_walk_in.token_label])
    review_shot(board, "board-after-call")
    assert board.evaluate(
        "document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth"
    )
    context.close()


def test_a_walk_in_booked_by_keyboard_is_called_at_once(page, browser, live_server_url, day):
    rao = day["rao"]
    expected = book(day["now_slot"], "Booked Online", "ONLINE")  # served first, but not here
    Patient.objects.create(name="Geeta Mishra", phone="9812345678", hospital_number="H2001")
    doctor = staff_page(browser, live_server_url, "rao", f"/doctor/{rao.pk}/")
    expect(doctor.locator("#doctor-rows")).to_contain_text("Expected")

    log_in(page, live_server_url, "desk")
    page.goto(f"{live_server_url}/desk/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.press("Tab")  # somewhere else on the page: "/" comes back to the search
    expect(page.locator("#q")).not_to_be_focused()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type("98123")
    expect(page.locator(".patient-result")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_doctor")).to_be_focused()
    page.keyboard.type("Dr. A")  # a select picks by typing
    expect(page.locator("#id_doctor option:checked")).to_contain_text("Dr. Asha Rao")
    page.keyboard.press("1")
    expect(page.locator("#cat-WALKIN")).to_be_checked()
    page.keyboard.press("Enter")
    result = page.locator("#booking-result")
    expect(result).to_contain_text("Token GM-2 · Geeta Mishra")
    expect(result).to_contain_text("Walk-in · checked in")
    token = Token.objects.get(patient__name="Geeta Mishra")
    assert token.status == Token.Status.ARRIVED and token.token_label == "GM-2"

    # No check-in step: the doctor calls the walk-in at once, past the online patient who is not here.
    expect(doctor.locator("[data-next-token]")).to_have_text("GM-2")
    doctor.keyboard.press("n")
    expect(doctor.locator("#doctor-flash")).to_contain_text("Token GM-2 called in.")
    expect(with_the_doctor(doctor)).to_have_attribute("data-current-token", "GM-2")
    expect(doctor.locator("#doctor-now")).to_contain_text("Geeta Mishra")
    expected.refresh_from_db()
    assert expected.status == Token.Status.CONFIRMED
    doctor.context.close()


def test_a_late_arrival_is_checked_in_at_the_desk_and_joins_the_end_of_the_queue(page, browser, live_server_url, day):
    rao, noon = day["rao"], day["noon"]
    ended = Slot.objects.create(
        doctor=rao, start_time=noon - timedelta(hours=2), end_time=noon - timedelta(hours=1) - timedelta(minutes=10),
        max_capacity=12,
    )  # 10:00-10:50
    with time_machine.travel(noon - timedelta(hours=2) + timedelta(minutes=5), tick=True):  # booked at 10:05
        late = book(ended, "Late Patient", "ONLINE", phone="9800000777")
    present = [book(day["now_slot"], "Present One", "WALKIN"), book(day["now_slot"], "Present Two", "WALKIN")]
    assert late.token_label == "GM-1" and late.status == Token.Status.CONFIRMED

    log_in(page, live_server_url, "desk")
    page.goto(f"{live_server_url}/desk/")
    page.locator("#q").fill("gm-1")  # as typed at the counter, off the patient's slip
    found = page.locator("#patient-results .patient-result")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("Token GM-1 Late Patient")
    expect(found).to_contain_text("Confirmed")
    found.click()
    today = page.locator("#patient-today")
    expect(today).to_contain_text("Today’s bookings of Late Patient")
    booking = today.locator('[data-today-token="GM-1"]')
    expect(booking).to_contain_text("10:00")
    expect(booking).to_contain_text("slot over: check-in joins the end of the queue")
    review_shot(page, "desk-todays-bookings")
    booking.get_by_role("button", name="Check in token GM-1").click()
    notice = page.locator("#desk-status")
    expect(notice).to_contain_text("Token GM-1 (Late Patient) checked in: their slot has ended, so they join the end of the queue.")
    review_shot(page, "desk-after-late-check-in")
    late.refresh_from_db()
    assert late.status == Token.Status.ARRIVED

    # The doctor serves the present queue first, the late arrival after them.
    doctor = staff_page(browser, live_server_url, "rao", f"/doctor/{rao.pk}/")
    expect(doctor.locator("#doctor-rows tbody tr")).to_have_count(3)
    expect(doctor.locator("#doctor-rows tbody tr td:nth-child(2)")).to_have_text(["GM-2", "GM-3", "GM-1"])
    review_shot(doctor, "doctor")
    for label in ("GM-2", "GM-3", "GM-1"):
        doctor.keyboard.press("n")
        expect(with_the_doctor(doctor)).to_have_attribute("data-current-token", label)
    review_shot(doctor, "doctor-late-called")
    assert [t.status for t in Token.objects.filter(pk__in=[p.pk for p in present])] == [Token.Status.COMPLETED] * 2
    doctor.context.close()

    # Back at the desk, the patient's booking no longer offers a check-in: it says they are here.
    expect(booking).to_contain_text("Arrived")
    expect(booking.get_by_role("button", name="Check in token GM-1")).to_have_count(0)


def test_a_skipped_patient_is_not_called_again_next(page, browser, live_server_url, day):
    rao = day["rao"]
    first = book(day["now_slot"], "First Here", "WALKIN")
    second = book(day["now_slot"], "Second Here", "WALKIN")
    book(day["now_slot"], "Not Here Yet", "ONLINE")
    log_in(page, live_server_url, "rao")
    page.goto(f"{live_server_url}/doctor/{rao.pk}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    flash = page.locator("#doctor-flash")

    page.keyboard.press("n")
    expect(with_the_doctor(page)).to_have_attribute("data-current-token", first.token_label)
    page.keyboard.press("s")
    expect(flash).to_contain_text(f"Token {first.token_label} skipped: back in the queue behind token {second.token_label}.")
    expect(page.locator("#doctor-now")).to_contain_text("Nobody is with the doctor.")
    expect(page.locator("[data-next-token]")).to_have_text(second.token_label)
    page.keyboard.press("n")
    expect(with_the_doctor(page)).to_have_attribute("data-current-token", second.token_label)
    expect(page.locator("#doctor-now")).to_contain_text("Second Here")
    # The skipped patient is next now, and called again after the other one.
    expect(page.locator("[data-next-token]")).to_have_text(first.token_label)
    review_shot(page, "doctor-after-skip")
    page.keyboard.press("n")
    expect(with_the_doctor(page)).to_have_attribute("data-current-token", first.token_label)
    expect(page.locator("#doctor-now")).to_contain_text("skipped 1×")


def test_a_waiting_list_patient_gets_a_slip_with_the_waiting_number_and_the_doctor(page, live_server_url, day):
    slot = day["later_slot"]
    allocation.change_capacity(slot_id=slot.pk, max_capacity=1)
    book(slot, "Has The Place", "ONLINE")
    patient = Patient.objects.create(name="Waiting Patient", phone="9800000555")
    entry = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="FOLLOWUP").waiting_entry
    assert entry is not None
    log_in(page, live_server_url, "desk")
    page.goto(f"{live_server_url}/waiting/{entry.pk}/slip/")
    slip = page.locator(".slip")
    expect(page.locator("h1")).to_have_text(f"Waiting number {entry.waiting_label}")
    expect(slip).to_contain_text("Dr. Asha Rao")
    expect(slip).to_contain_text("12:50–13:50")
    expect(slip).to_contain_text("Place")
    review_shot(page, "waiting-slip")
    page.emulate_media(media="print")
    width = slip.evaluate("el => el.getBoundingClientRect().width")
    assert 260 < width < 280  # 72 mm printable on 80 mm paper


FITS = """(el, box) => {
    const r = el.getBoundingClientRect(), b = (box ? el.closest(box) : el.parentElement).getBoundingClientRect();
    const line = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.2;
    return {text: el.textContent.trim(), oneLine: r.height < line * 1.5,
            inside: r.left >= b.left - 1 && r.right <= b.right + 1 && r.top >= b.top - 1 && r.bottom <= b.bottom + 1};
}"""


def fit_problems(page, selector, box=None):
    found = [page.locator(selector).nth(i).evaluate(FITS, box) for i in range(page.locator(selector).count())]
    assert found, f"nothing matches {selector}"
    return [f for f in found if not (f["oneLine"] and f["inside"])]


def test_mid_morning_labels_are_read_whole_on_the_board_and_the_doctors_page(page, browser, live_server_url, day):
    """By mid-morning a doctor has handed out 150 tokens: "GM-153" must still be one piece of
    text on the TV board (now calling, and all of "Next") and on the doctor's page."""
    rao, mehta = day["rao"], day["mehta"]
    for doctor in (rao, mehta):
        DoctorDay.objects.create(doctor=doctor, day=day["noon"].date(), last_token_number=150)
    mehta_slot = Slot.objects.get(doctor=mehta)
    names = ["Venkata Lakshmi Narasimhan", "Mohammed Irfan Qureshi", "Shrimati Kamala Subramaniam",
             "Gurpreet Kaur Dhillon", "Annapurna Devi Chaturvedi", "Sreenivasan Ramakrishnan", "Fatima Begum Ansari"]
    for n, name in enumerate(names):
        book(day["now_slot"], name, "WALKIN")
        book(mehta_slot, f"{name} {n}", "WALKIN")
    for doctor in (rao, mehta):
        elsewhere(allocation.call_next_for_doctor, doctor_id=doctor.pk)
    display = Display.objects.create(name="Main waiting hall")
    display.doctors.set([rao, mehta])

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = context.new_page()
    board.goto(f"{live_server_url}/board/{display.key}/")
    board.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    row = board.locator(f"#board-doctor-{rao.pk}")
    expect(row.locator(".now-number")).to_have_text("GM-151")
    expect(row.locator(".cell-next .num")).to_have_count(5)
    board.evaluate("document.fonts.ready")
    review_shot(board, "board-mid-morning")
    problems = {
        "board, now calling": fit_problems(board, ".now-number", ".cell-now"),
        "board, next": fit_problems(board, ".cell-next .num", ".cell-next"),
        "board, doctor": fit_problems(board, ".cell-doctor .doctor", ".board-row"),
    }
    context.close()

    log_in(page, live_server_url, "rao")
    served = page.goto(f"{live_server_url}/doctor/{rao.pk}/").text()
    expect(with_the_doctor(page)).to_have_attribute("data-current-token", "GM-151")
    # The socket's full state replaces every part on connect: measure the parts it swapped in,
    # once htmx has settled them, not the served ones (which may be replaced mid-measure).
    page.wait_for_function(
        """rendered => document.getElementById("doctor-now").dataset.rendered !== rendered
                       && !document.querySelector(".htmx-added, .htmx-settling, .htmx-swapping")""",
        arg=re.search(r'id="doctor-now" data-rendered="([^"]+)"', served).group(1),
    )
    page.evaluate("document.fonts.ready.then(() => true)")  # measured in the page's own font, not a fallback's wider one
    review_shot(page, "doctor-mid-morning")
    problems["doctor's page, with the doctor now"] = fit_problems(page, "#doctor-now .now-number", ".card-body")
    problems["doctor's page, token column"] = fit_problems(page, "#doctor-rows tbody td:nth-child(2)")
    problems = {where: found for where, found in problems.items() if found}
    assert not problems, f"labels broken over lines or cut off: {problems}"
