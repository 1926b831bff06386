"""Screens count themselves in while open, so pushes are rendered only for what someone sees."""

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from queues import broadcast, watchers
from queues.models import Display
from queues.routing import websocket_urlpatterns

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_an_open_board_counts_as_watching_its_doctors_until_it_closes(doctor):
    display = await Display.objects.acreate(name="Hall")
    await display.doctors.aadd(doctor)
    group = broadcast.board_doctor_group(doctor.pk, "en")
    assert watchers.watched([group]) == set()

    screens = []
    for _ in range(2):
        c = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/board/{display.key}/")
        c.scope["user"] = AnonymousUser()
        assert (await c.connect())[0]
        screens.append(c)
    assert watchers.watched([group, broadcast.board_doctor_group(doctor.pk, "hi")]) == {group}

    await screens[0].disconnect()
    assert watchers.watched([group]) == {group}  # the other board is still open
    await screens[1].disconnect()
    assert watchers.watched([group]) == set()


def test_when_the_cache_fails_every_group_counts_as_watched(monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get_many", broken)
    assert watchers.watched(["a", "b"]) == {"a", "b"}
