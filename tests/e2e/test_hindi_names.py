"""Hindi names read as Hindi on staff screens too, not as empty boxes: the Devanagari face is
served from static/ (many counter PCs and thermal-printer hosts have none installed)."""

import pytest
from playwright.sync_api import expect

from queues import allocation
from tests.staff import PASSWORD, make_staff

pytestmark = pytest.mark.browser

LOADED_DEVANAGARI = """document.fonts.ready.then(() => Array.from(document.fonts)
    .filter(f => f.family.replace(/"/g, '') === 'Noto Sans Devanagari' && f.status === 'loaded').length)"""


def open_slip_of(page, live_server_url, login, slot, patient):
    token = allocation.book_token(slot_id=slot.pk, patient_id=patient.pk, category="WALKIN").token
    make_staff("asha", "Reception")
    login("asha", PASSWORD)
    page.goto(f"{live_server_url}/tokens/{token.pk}/slip/")


def test_a_hindi_name_on_the_slip_uses_the_served_devanagari_face(page, live_server_url, login, slot, make_patient):
    open_slip_of(page, live_server_url, login, slot, make_patient("राम कुमार"))
    expect(page.get_by_text("राम कुमार")).to_be_visible()
    assert page.evaluate(LOADED_DEVANAGARI) >= 1


def test_an_english_page_does_not_download_the_devanagari_face(page, live_server_url, login, slot, make_patient):
    open_slip_of(page, live_server_url, login, slot, make_patient("Ramesh Kumar"))
    expect(page.get_by_text("Ramesh Kumar")).to_be_visible()
    assert page.evaluate(LOADED_DEVANAGARI) == 0
