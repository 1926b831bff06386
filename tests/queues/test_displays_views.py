"""Managers set up boards: create, rotate the key, revoke; nobody else may."""

import pytest

from queues.models import Display
from tests.staff import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(make_staff("boss", "Manager"))
    return client


def test_a_manager_creates_a_board_and_sees_its_link(manager_client, doctor):
    response = manager_client.post("/displays/", {"name": "Hall A", "doctors": [doctor.pk], "language": "hi", "chime": "on"})
    assert response.status_code == 302
    display = Display.objects.get(name="Hall A")
    assert (display.language, display.chime, display.speech) == ("hi", True, False)
    assert f"http://testserver/board/{display.key}/" in manager_client.get("/displays/").content.decode()


def test_too_many_doctors_is_refused_with_a_reason(manager_client, department):
    from scheduling.models import Doctor

    for n in range(9):
        Doctor.objects.create(name=f"Dr. {n}", department=department)
    response = manager_client.post("/displays/", {"name": "Big", "department": department.pk, "language": "en"})
    assert "at most 8 fit" in response.content.decode()


def test_rotating_gives_a_new_key_and_the_old_link_dies(manager_client, client):
    display = Display.objects.create(name="Hall")
    old = display.key
    manager_client.post(f"/displays/{display.pk}/rotate/")
    display.refresh_from_db()
    assert display.key != old and len(display.key) >= 32
    assert manager_client.get(f"/board/{old}/").status_code == 404
    assert manager_client.get(f"/board/{display.key}/").status_code == 200


def test_revoking_and_reenabling(manager_client):
    display = Display.objects.create(name="Hall")
    manager_client.post(f"/displays/{display.pk}/revoke/")
    display.refresh_from_db()
    assert not display.active
    manager_client.post(f"/displays/{display.pk}/revoke/")
    display.refresh_from_db()
    assert display.active


@pytest.mark.parametrize("role", ["Reception", "Doctor"])
def test_other_roles_cannot_manage_boards(client, role):
    display = Display.objects.create(name="Hall")
    client.force_login(make_staff("someone", role))
    assert client.get("/displays/").status_code == 403
    assert client.post(f"/displays/{display.pk}/rotate/").status_code == 403
