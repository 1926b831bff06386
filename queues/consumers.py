"""Websockets of the live screens. Thin: check who may listen, join the groups the broadcaster
sends to, send the full current state on every (re)connect, forward what is pushed, ignore input.

Close code 4403 means "not allowed (any more)": the page reloads and shows why (4410 for a
patient's status page whose day has ended).

Every LIVE_HEARTBEAT_SECONDS a consumer renews its groups and sends itself a heartbeat through
the channel layer, which it forwards to the screen: a screen that stops hearing them knows its
view may be old and reconnects (static/js/live.js), and a consumer whose layer stops answering
closes its socket so the screen reconnects and resyncs once Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from config import access
from queues import broadcast, fragments, guesses, metrics, patient_status, status_page, watchers

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
LAYER_DOWN = 1011  # "internal error": the screen reconnects with its usual back-off
HEARTBEAT = '{"event": "heartbeat"}'
GONE = 4410  # a status page whose day has ended: the page reloads and shows why


class LiveConsumer(AsyncWebsocketConsumer):
    """Shared behaviour: subclasses say which groups to join and what the full state is."""

    joined: list[str] = []
    beating: asyncio.Task | None = None
    screen = ""  # the open-sockets metric's label
    counted = False

    async def connect(self):
        self.joined = []
        if not await self.allowed():
            await self.close(code=FORBIDDEN)
            return
        await self.join(await self.groups_to_join())
        await self.accept()
        metrics.OPEN_SOCKETS.labels(self.screen).inc()
        self.counted = True
        await self.send_full_state()
        if settings.LIVE_HEARTBEAT_SECONDS > 0:
            self.beating = asyncio.create_task(self.beat(settings.LIVE_HEARTBEAT_SECONDS))

    async def beat(self, every: float) -> None:
        """Round trips through the layer: renew the groups (channels-redis forgets them after a
        day) and send ourselves the heartbeat. A layer that fails or hangs closes the socket."""
        while True:
            await asyncio.sleep(every)
            try:
                async with asyncio.timeout(every):
                    for group in self.joined:
                        await self.channel_layer.group_add(group, self.channel_name)
                    await self.channel_layer.send(self.channel_name, {"type": "live.heartbeat"})
            except Exception:
                logger.warning("Channel layer not answering: closing a live socket", exc_info=True)
                await self.close(code=LAYER_DOWN)
                return

    async def join(self, groups: list[str]) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = list(groups)
        await watchers.watch(self.joined)  # before the full state is read: see queues/watchers.py
        await database_sync_to_async(broadcast.forget_sent)(self.joined)

    async def leave(self) -> None:
        await watchers.unwatch(self.joined)
        for group in self.joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer may be the reason we are closing
                logger.debug("group_discard failed for %s", group, exc_info=True)
        self.joined = []

    async def disconnect(self, code):
        if self.counted:
            metrics.OPEN_SOCKETS.labels(self.screen).dec()
            self.counted = False
        if self.beating is not None:
            self.beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.beating
        await self.leave()

    async def receive(self, text_data=None, bytes_data=None):
        """Screens only listen: anything they send is ignored."""

    async def send_full_state(self) -> None:
        text = await self.full_state()
        if text:
            await self.send(text_data=text)

    # Messages from broadcast.py
    async def live_html(self, event):
        await self.send(text_data=event["html"])

    async def live_text(self, event):
        await self.send(text_data=event["text"])

    async def live_heartbeat(self, event):
        await self.send(text_data=HEARTBEAT)

    # To override
    async def allowed(self) -> bool:
        raise NotImplementedError

    async def groups_to_join(self) -> list[str]:
        raise NotImplementedError

    async def full_state(self) -> str:
        raise NotImplementedError


class BoardConsumer(LiveConsumer):
    """A waiting-room TV: no login, the Display's secret key in the URL."""

    screen = "board"

    async def allowed(self) -> bool:
        self.display = await self._load_display()
        return self.display is not None

    @database_sync_to_async
    def _load_display(self):
        from queues.models import Display

        key = self.scope["url_route"]["kwargs"]["key"]
        display = Display.objects.filter(key=key, active=True).first()
        if display is not None:
            display.doctor_ids = [d.pk for d in display.shown_doctors()]
        return display

    async def groups_to_join(self) -> list[str]:
        return [broadcast.board_group(self.display.pk)] + [
            broadcast.board_doctor_group(doctor_id, self.display.language) for doctor_id in self.display.doctor_ids
        ]

    @database_sync_to_async
    def full_state(self) -> str:
        return fragments.render_board_rows(self.display)

    async def display_changed(self, event):
        """Edited, rotated or revoked: recheck the key; close if it no longer opens this board,
        else rejoin (the doctors may have changed) and resync."""
        display = await self._load_display()
        if display is None or display.pk != self.display.pk:
            await self.leave()
            await self.close(code=FORBIDDEN)
            return
        await self.leave()
        self.display = display
        await self.join(await self.groups_to_join())
        await self.send_full_state()


class StaffConsumer(LiveConsumer):
    """A staff page's socket, tied to its login: it closes (4403) once the login loses what the
    page needs (config.access announces such changes; a periodic recheck backs that up)."""

    access_groups: list[str] = []
    recheck: asyncio.Task | None = None

    async def allowed(self) -> bool:
        return await self._allowed_now()

    @database_sync_to_async
    def _allowed_now(self) -> bool:
        user = access.current_user(self.scope)
        return user is not None and self.permits(user)

    def permits(self, user) -> bool:
        """Does this login (as the database has it now) still see what this socket shows?"""
        raise NotImplementedError

    def groups_for_access(self) -> list[str]:
        return [access.user_group(self.scope["user"].pk)]

    async def connect(self):
        self.access_groups, self.recheck = [], None
        await super().connect()
        if not self.joined:  # refused
            return
        self.access_groups = self.groups_for_access()
        for group in self.access_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        seconds = getattr(settings, "SOCKET_ACCESS_RECHECK_SECONDS", 60)
        if seconds:
            self.recheck = asyncio.create_task(self._recheck_every(seconds))

    async def leave(self) -> None:
        if self.recheck is not None and self.recheck is not asyncio.current_task():
            self.recheck.cancel()
        self.recheck = None
        for group in self.access_groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.debug("group_discard failed for %s", group, exc_info=True)
        self.access_groups = []
        await super().leave()

    async def _recheck_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            if not await self._allowed_now():
                await self._lose_access()
                return

    async def _lose_access(self) -> None:
        await self.leave()
        await self.close(code=FORBIDDEN)

    # Message from config.access
    async def access_changed(self, event):
        session = self.scope.get("session")
        ended = event.get("ended_session")
        if (ended and session is not None and session.session_key == ended) or not await self._allowed_now():
            await self._lose_access()


class DoctorConsumer(StaffConsumer):
    """The doctor's page: a Doctor may listen to their own queue only; managers to any."""

    screen = "doctor"

    def permits(self, user) -> bool:
        from scheduling.models import Doctor
        from scheduling.roles import can_work_doctor_queue

        doctor = Doctor.objects.filter(pk=self.scope["url_route"]["kwargs"]["doctor_id"]).first()
        if doctor is None or not can_work_doctor_queue(user, doctor):
            return False
        self.doctor = doctor
        return True

    def groups_for_access(self) -> list[str]:
        return [*super().groups_for_access(), access.doctor_access_group(self.doctor.pk)]

    async def groups_to_join(self) -> list[str]:
        return [broadcast.doctor_group(self.doctor.pk)]

    @database_sync_to_async
    def full_state(self) -> str:
        return "".join(fragments.render_doctor_parts(self.doctor).values())


class DeskConsumer(StaffConsumer):
    """Reception desks: told that something changed; their panels refresh themselves."""

    screen = "desk"

    def permits(self, user) -> bool:
        from scheduling.roles import USE_DESK

        return user.has_perm(USE_DESK)

    async def groups_to_join(self) -> list[str]:
        return [broadcast.DESK_GROUP]

    async def full_state(self) -> str:
        # A (re)connect may have missed changes: the desk refreshes its panels.
        return '{"event": "queue-changed", "kind": "connected"}'


class StatusConsumer(LiveConsumer):
    """A patient's status page: no login, the status code in the URL. Joins its doctor's status
    group; each pushed snapshot of the doctor's day brings its own line up to date, rendered
    here (no query) unless the patient left the queue or the waiting list (then it reads again)."""

    async def allowed(self) -> bool:
        from urllib.parse import parse_qs

        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.language = next((v for v in query.get("lang", []) if v in status_page.LANGUAGES), "en")
        self.status = await self._load_status()
        return self.status is not None

    @database_sync_to_async
    def _load_status(self):
        code = self.scope["url_route"]["kwargs"]["code"]
        ip = (self.scope.get("client") or ("",))[0]
        if guesses.blocked(ip):
            return None
        found = patient_status.find(code)
        if found is None:
            guesses.count_miss(ip)
            return None
        if patient_status.has_expired(found.day):
            return None
        return patient_status.status_of(found)

    async def groups_to_join(self) -> list[str]:
        return [broadcast.status_group(self.status.doctor_id)]

    async def full_state(self) -> str:
        return status_page.render_body(self.status, self.language)

    async def status_snapshot(self, event):
        if self.status.finished:
            return  # nothing more changes for this patient today
        if not patient_status.apply_snapshot(self.status, event["snapshot"]):
            self.status = await self._load_status()
            if self.status is None:  # the day has ended
                await self.leave()
                await self.close(code=GONE)
                return
        await self.send(text_data=status_page.render_body(self.status, self.language))
