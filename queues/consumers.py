"""Websockets of the live screens. Thin: check who may listen, join the groups the broadcaster
sends to, send the full current state on every (re)connect, forward what is pushed, ignore input.

Close code 4403 means "not allowed (any more)": the page reloads and shows why (4410 for a
patient's status page whose day has ended).
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from queues import broadcast, fragments, guesses, patient_status, status_page, watchers

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
GONE = 4410  # a status page whose day has ended: the page reloads and shows why


class LiveConsumer(AsyncWebsocketConsumer):
    """Shared behaviour: subclasses say which groups to join and what the full state is."""

    joined: list[str] = []

    async def connect(self):
        self.joined = []
        if not await self.allowed():
            await self.close(code=FORBIDDEN)
            return
        await self.join(await self.groups_to_join())
        await self.accept()
        await self.send_full_state()

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

    # To override
    async def allowed(self) -> bool:
        raise NotImplementedError

    async def groups_to_join(self) -> list[str]:
        raise NotImplementedError

    async def full_state(self) -> str:
        raise NotImplementedError


class BoardConsumer(LiveConsumer):
    """A waiting-room TV: no login, the Display's secret key in the URL."""

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


class DoctorConsumer(LiveConsumer):
    """The doctor's page: a Doctor may listen to their own queue only; managers to any."""

    async def allowed(self) -> bool:
        self.doctor = await self._load_doctor()
        return self.doctor is not None

    @database_sync_to_async
    def _load_doctor(self):
        from scheduling.models import Doctor
        from scheduling.roles import can_work_doctor_queue

        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        doctor = Doctor.objects.filter(pk=self.scope["url_route"]["kwargs"]["doctor_id"]).first()
        if doctor is None or not can_work_doctor_queue(user, doctor):
            return None
        return doctor

    async def groups_to_join(self) -> list[str]:
        return [broadcast.doctor_group(self.doctor.pk)]

    @database_sync_to_async
    def full_state(self) -> str:
        return "".join(fragments.render_doctor_parts(self.doctor).values())


class DeskConsumer(LiveConsumer):
    """Reception desks: told that something changed; their panels refresh themselves."""

    async def allowed(self) -> bool:
        return await self._can_use_desk()

    @database_sync_to_async
    def _can_use_desk(self) -> bool:
        from scheduling.roles import USE_DESK

        user = self.scope.get("user")
        return bool(user is not None and user.is_authenticated and user.has_perm(USE_DESK))

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
