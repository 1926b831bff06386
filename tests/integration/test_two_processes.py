"""Two web processes on one PostgreSQL and one Redis: a booking made through process A reaches
a board connected to process B (the channel layer, not process memory, carries the push)."""

import asyncio
import json
import urllib.request

import pytest
from rest_framework.authtoken.models import Token as ApiToken

from queues.models import Display
from tests.staff import make_staff
from tests.webserver import database_url_of_test_db, open_socket, start_web, stop_web, web_env

pytestmark = pytest.mark.django_db(transaction=True)
PORT_A, PORT_B = 8442, 8443


@pytest.fixture
def two_web_processes(redis_url, transactional_db):
    env = web_env(database_url_of_test_db(), redis_url)
    procs = []
    try:
        procs.append(start_web(PORT_A, env))
        procs.append(start_web(PORT_B, env))
        yield
    finally:
        stop_web(procs)


def test_a_booking_through_process_a_reaches_a_board_on_process_b(two_web_processes, doctor, slot, patient):
    display = Display.objects.create(name="Hall")
    display.doctors.add(doctor)
    api_key = ApiToken.objects.create(user=make_staff("desk", "Reception")).key

    async def scenario():
        board = await open_socket(PORT_B, f"/ws/board/{display.key}/")
        assert 'id="board-rows"' in await asyncio.wait_for(board.recv(), 10)

        def book():
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT_A}/api/v1/tokens/",
                data=json.dumps({"slot_id": str(slot.pk), "patient_id": str(patient.pk), "category": "WALKIN"}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Token {api_key}"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 201
                return json.load(response)

        token = await asyncio.get_running_loop().run_in_executor(None, book)
        update = await asyncio.wait_for(board.recv(), 10)
        await board.close()
        return token, update

    token, update = asyncio.run(scenario())
    assert token["status"] == "ARRIVED"  # a walk-in is present at once: the board's Next shows it
    assert token["token_label"] == str(token["token_number"])  # no prefix set for this doctor
    assert f'id="board-doctor-{doctor.pk}"' in update
    assert f'<span class="num">{token["token_label"]}</span>' in update
    assert "Jane Doe" not in update
