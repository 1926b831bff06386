"""Browser: what static/js/live.js adds to htmx's websocket extension, against a socket the test
plays the server's part of (Playwright's route_web_socket): a screen whose socket the server
closes as going away says so and connects again by itself; a pushed part older than the one on
the page never replaces it; a JSON note refreshes the panels of the doctor it names."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from queues.models import Display
from scheduling.models import Department, Doctor, Slot
from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.browser

GOING_AWAY = 1001  # a server or proxy shutting down; hx-ws by itself would not reconnect after it


@pytest.fixture
def rao(transactional_db, local_noon):
    rao = Doctor.objects.create(name="Dr. Asha Rao", room="4", department=Department.objects.create(name="OPD"))
    start = timezone.now() - timedelta(minutes=30)
    Slot.objects.create(doctor=rao, start_time=start, end_time=start + timedelta(hours=2), max_capacity=20)
    return rao


class PlayedServer:
    """Every socket the page opens, answered by the test instead of the server."""

    def __init__(self, page, path: str):
        self.sockets = []
        page.route_web_socket(re.compile(re.escape(path) + "$"), self.accept)

    def accept(self, socket) -> None:
        self.sockets.append(socket)

    @property
    def last(self):
        return self.sockets[-1]


def test_a_board_whose_socket_is_closed_as_going_away_says_so_and_connects_again(page, live_server_url, rao):
    display = Display.objects.create(name="Main hall")
    server = PlayedServer(page, f"/ws/board/{display.key}/")
    page.goto(f"{live_server_url}/board/{display.key}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    mark = page.locator("[data-live-mark]")
    expect(mark).to_be_hidden()

    server.last.close(code=GOING_AWAY, reason="server shutting down")
    expect(mark).to_be_visible()
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    assert len(server.sockets) == 2
    expect(mark).to_be_hidden()

    # The new socket is live: a pushed row replaces the doctor's.
    server.last.send(f'<section class="board-row" id="board-doctor-{rao.pk}"><div class="cell-now">'
                     '<span class="now-number" data-now="7">7</span></div></section>')
    expect(page.locator(f"#board-doctor-{rao.pk} .now-number")).to_have_text("7")


def test_an_older_push_never_replaces_a_newer_part_and_a_note_refreshes_the_desk(page, browser, live_server_url, login, rao):
    make_staff("rao", "Doctor", rao)
    server = PlayedServer(page, f"/ws/doctor/{rao.pk}/")
    login("rao", PASSWORD)
    page.goto(f"{live_server_url}/doctor/{rao.pk}/")
    page.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    now = page.locator("#doctor-now")
    expect(now).to_contain_text("Nobody is with the doctor")

    server.last.send('<div id="doctor-now" data-rendered="1.0">From long ago</div>')
    # Messages are handled in order: once this later one shows, the old one has been dealt with.
    server.last.send('<p id="doctor-counts" data-rendered="99999999999.0">Later</p>')
    expect(page.locator("#doctor-counts")).to_have_text("Later")
    expect(now).to_contain_text("Nobody is with the doctor")

    server.last.send('<div id="doctor-now" data-rendered="99999999999.0">Fresh</div>')
    expect(now).to_have_text("Fresh")

    # A desk refreshes the panels of the doctor a note names, and shows the note's notices.
    make_staff("desk", "Reception")
    desk = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    desk_server = PlayedServer(desk, "/ws/desk/")
    desk.goto(f"{live_server_url}/accounts/login/")
    desk.get_by_label("Username").fill("desk")
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("button", name="Log in").click()
    desk.goto(f"{live_server_url}/desk/")
    desk.wait_for_function("() => document.documentElement.dataset.live === 'open'")
    with desk.expect_request(re.compile(rf"board_doctor={rao.pk}")):
        desk_server.last.send(f'{{"doctor_id": "{rao.pk}", "notes": ["Waiting list W1 promoted: token 4."]}}')
    expect(desk.get_by_text("Waiting list W1 promoted: token 4.")).to_be_visible()
