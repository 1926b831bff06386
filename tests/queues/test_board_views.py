"""The public TV board page: by secret key, numbers only, in the Display's language."""

import pytest

from queues import allocation
from queues.models import Display

pytestmark = pytest.mark.django_db


@pytest.fixture
def display(doctor):
    d = Display.objects.create(name="Main hall")
    d.doctors.add(doctor)
    return d


def test_the_board_shows_room_now_calling_next_and_the_delay_but_no_patient_data(client, display, slot, make_patient):
    tokens = []
    for name in ["Secret Name", "Other Name"]:
        t = allocation.book_token(slot_id=slot.pk, patient_id=make_patient(name, phone="9999912345").pk, category="FOLLOWUP").token
        tokens.append(allocation.check_in(token_id=t.pk))
    allocation.call_next(slot_id=slot.pk)
    allocation.delay_slot(slot_id=slot.pk, delay_minutes=30)
    page = client.get(f"/board/{display.key}/").content.decode()
    assert f'data-now="{tokens[0].token_number}"' in page
    assert f'<span class="num">{tokens[1].token_number}</span>' in page
    assert "Dr. Asha Rao is running 30 min late" in page
    assert "Secret Name" not in page and "99999" not in page and "Follow-up" not in page
    assert f'ws-connect="/ws/board/{display.key}/"' in page


def test_a_hindi_board(client, doctor):
    display = Display.objects.create(name="OPD", language="hi", chime=False)
    page = client.get(f"/board/{display.key}/").content.decode()
    assert 'lang="hi"' in page and "कमरा" in page and 'data-chime="0"' in page and doctor.name in page


def test_unknown_and_revoked_keys_get_404(client, display):
    assert client.get("/board/nope/").status_code == 404
    display.active = False
    display.save()
    assert client.get(f"/board/{display.key}/").status_code == 404


def test_a_board_shows_a_department_plus_chosen_doctors_at_most_eight(doctor, department):
    from scheduling.models import Doctor

    display = Display.objects.create(name="Dept", department=department)
    for n in range(10):
        Doctor.objects.create(name=f"Dr. {n}", department=department)
    assert len(display.shown_doctors()) == Display.MAX_DOCTORS
