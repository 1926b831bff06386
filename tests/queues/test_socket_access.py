"""Staff sockets close (4403) as soon as their login loses access: deactivated, role removed,
password changed, logged out, unlinked from the doctor. Other logins' sockets stay open."""

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.test import Client

from queues.consumers import FORBIDDEN
from queues.routing import websocket_urlpatterns
from scheduling.models import Doctor
from tests.staff import PASSWORD, make_staff

pytestmark = [pytest.mark.django_db(transaction=True)]

app = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


def logged_in(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


async def open_socket(path, client):
    socket = WebsocketCommunicator(app, path, headers=[(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())])
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_from()  # the full state
    return socket


async def assert_closed(socket):
    message = await socket.receive_output(timeout=3)
    assert message == {"type": "websocket.close", "code": FORBIDDEN}


@pytest.fixture
def doctor_login(doctor):
    return make_staff("doc", "Doctor", doctor=doctor)


@pytest.fixture
def doctor_page(doctor, doctor_login):
    return f"/ws/doctor/{doctor.pk}/", logged_in(doctor_login)


def deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def remove_role(user):
    user.groups.remove(Group.objects.get(name="Doctor"))


def change_password(user):
    user.set_password("a-brand-new-pass-987")
    user.save(update_fields=["password"])


def unlink(user):
    doctor = Doctor.objects.get(user=user)
    doctor.user = None
    doctor.save()


def delete_doctor_link_by_staff_page(user):
    from scheduling.staff import update_staff_login

    manager = make_staff("boss", "Manager")
    update_staff_login(user_id=user.pk, by=manager, first_name="", last_name="", is_active=True, role="Reception", doctor=None)


@pytest.mark.parametrize("lose_access", [deactivate, remove_role, change_password, unlink, delete_doctor_link_by_staff_page])
async def test_a_doctor_socket_closes_when_its_login_loses_access(doctor_page, doctor_login, lose_access):
    path, client = doctor_page
    socket = await open_socket(path, client)
    await sync_to_async(lose_access)(doctor_login)
    await assert_closed(socket)


async def test_logging_out_closes_that_sessions_sockets_only(doctor_page, doctor_login):
    path, client = doctor_page
    other_pc = await sync_to_async(logged_in)(doctor_login)
    here, there = await open_socket(path, client), await open_socket(path, other_pc)
    await sync_to_async(client.post)("/accounts/logout/")
    await assert_closed(here)
    assert await there.receive_nothing(timeout=0.3)
    await there.disconnect()


async def test_a_desk_socket_closes_when_the_login_is_deactivated(db):
    clerk = await sync_to_async(make_staff)("clerk", "Reception")
    socket = await open_socket("/ws/desk/", await sync_to_async(logged_in)(clerk))
    await sync_to_async(deactivate)(clerk)
    await assert_closed(socket)


async def test_another_logins_change_leaves_a_socket_open(doctor_page):
    path, client = doctor_page
    socket = await open_socket(path, client)
    other = await sync_to_async(make_staff)("someone", "Reception")
    await sync_to_async(deactivate)(other)
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_change_no_signal_announces_is_caught_by_the_periodic_recheck(doctor_page, doctor_login, settings):
    settings.SOCKET_ACCESS_RECHECK_SECONDS = 0.2
    path, client = doctor_page
    socket = await open_socket(path, client)
    from django.contrib.auth import get_user_model

    await sync_to_async(get_user_model().objects.filter(pk=doctor_login.pk).update)(is_active=False)  # no signal
    await assert_closed(socket)
