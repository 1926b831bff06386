"""After-commit pushes to the channel layer.

Services call `queue_changed(...)` inside their transaction; the push runs only once the
transaction commits (so nothing rolled back is ever announced), and a failed push is logged,
never raised (so a broken Redis never undoes a booking).

Each change is rendered once, here, and the HTML is sent to the groups that show it:
- `doctor_group(doctor_id)`: the doctor's page (the queue fragment, swapped by id);
- `board_doctor_group(doctor_id, language)`: every board showing that doctor in that language
  (the doctor's row, plus a call announcement when a token is called);
- `DESK_GROUP`: reception desks (a small JSON note; their panels refresh themselves).
Screens never query the database for a pushed change; they only do on (re)connect. Fragments
are rendered only for groups some screen is watching (queues/watchers.py).

Rendering costs several times a booking's own transaction, so with LIVE_PUSH_COALESCE_MS > 0
(the default) changes are not rendered in the request: a background thread per web process
publishes the first change after a quiet spell at once, and during a burst renders each doctor's
screens at most once per window, however many bookings it brought (an announcement of a call is
never lost in the merge). 0 renders in the request, as the
tests do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, transaction

from queues import watchers

logger = logging.getLogger(__name__)

DESK_GROUP = "desk"
ANNOUNCED_KINDS = {"called", "recalled"}


def doctor_group(doctor_id) -> str:
    """Channel-layer group of every doctor's page showing one doctor's queue."""
    return f"doctor.{doctor_id}"


def board_group(display_id) -> str:
    """Channel-layer group of the open screens of one Display (for revocation and set-up changes)."""
    return f"board.{display_id}"


def board_doctor_group(doctor_id, language: str) -> str:
    """Channel-layer group of the boards that show one doctor's row in one language."""
    return f"board.{doctor_id}.{language}"


# --- scheduling (inside the service's transaction) --------------------------------------------


def queue_changed(*, doctor_id, slot_id, kind: str) -> None:
    transaction.on_commit(
        partial(_after_commit, doctor_id=str(doctor_id), slot_id=str(slot_id), kind=kind),
        robust=True,
    )


def _after_commit(*, doctor_id: str, slot_id: str, kind: str) -> None:
    # Never raise: the booking is already committed. (Also sidesteps Django 5.2's robust
    # on_commit logging, which itself fails on a functools.partial: Django ticket #36487.)
    try:
        if settings.LIVE_PUSH_COALESCE_MS > 0:
            _coalescer.add(doctor_id=doctor_id, slot_id=slot_id, kind=kind)
        else:
            publish_queue_change(doctor_id=doctor_id, slot_id=slot_id, kind=kind)
    except Exception:
        logger.exception("Could not push the %s change for doctor %s", kind, doctor_id)


class Coalescer:
    """Collects committed changes per doctor; a daemon thread publishes each doctor's latest
    state once per window."""

    def __init__(self, *, background: bool = True):
        self._background = background  # False: nothing publishes until flush() is called
        self._pending: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, *, doctor_id: str, slot_id: str, kind: str) -> None:
        with self._lock:
            earlier = self._pending.get(doctor_id)
            if earlier and earlier["kind"] in ANNOUNCED_KINDS and kind not in ANNOUNCED_KINDS:
                kind = earlier["kind"]  # keep the call announcement; the render shows the latest state
            self._pending[doctor_id] = {"doctor_id": doctor_id, "slot_id": slot_id, "kind": kind}
            if self._background and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="live-push", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        # The first change after a quiet spell goes out at once; during a burst, at most one
        # publication per window.
        last = 0.0
        while True:
            self._wake.wait()
            wait = last + settings.LIVE_PUSH_COALESCE_MS / 1000 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            self.flush()

    def flush(self) -> None:
        """Publish everything pending now (the thread's step; tests call it directly)."""
        with self._lock:
            self._wake.clear()
            batch, self._pending = list(self._pending.values()), {}
        close_old_connections()
        try:
            publish_queue_changes(batch)
        finally:
            close_old_connections()


_coalescer = Coalescer()


def display_changed(*, display_id) -> None:
    """A Display was edited, rotated or revoked: its open screens recheck their key and resync."""
    transaction.on_commit(partial(publish_display_change, display_id=display_id), robust=True)


# --- publishing (after commit) ----------------------------------------------------------------


def queue_change_messages(*, doctor_id: str, slot_id: str, kind: str) -> list[tuple[str, dict]]:
    """Render what changed, once per fragment, as (group, message) pairs."""
    from queues.models import Display
    from queues.views.board import render_board_update
    from queues.views.doctor import render_queue_fragment
    from scheduling.models import Doctor

    languages = [code for code, _ in Display.Language.choices]
    boards = [board_doctor_group(doctor_id, lang) for lang in languages]
    watched = watchers.watched([DESK_GROUP, doctor_group(doctor_id), *boards])
    messages = []
    if DESK_GROUP in watched:
        messages.append((DESK_GROUP, {"type": "live.text", "text": json.dumps(
            {"event": "queue-changed", "kind": kind, "doctor_id": doctor_id, "slot_id": slot_id})}))
    if not watched - {DESK_GROUP}:
        return messages  # no doctor page or board shows this doctor: render nothing
    doctor = Doctor.objects.select_related("department").get(pk=doctor_id)
    if doctor_group(doctor_id) in watched:
        messages.insert(0, (doctor_group(doctor_id), {"type": "live.html", "html": render_queue_fragment(doctor)}))
    for language in languages:
        if board_doctor_group(doctor_id, language) in watched:
            html = render_board_update(doctor, language, announce=kind in ANNOUNCED_KINDS)
            messages.append((board_doctor_group(doctor_id, language), {"type": "live.html", "html": html}))
    return messages


def publish_queue_change(*, doctor_id: str, slot_id: str, kind: str) -> None:
    publish_queue_changes([{"doctor_id": doctor_id, "slot_id": slot_id, "kind": kind}])


def publish_queue_changes(changes: list[dict]) -> None:
    """Render and send several doctors' changes with one trip through the event loop."""
    messages = []
    for change in changes:
        try:
            messages += queue_change_messages(**change)
        except Exception:
            logger.exception("Could not render the %s change for doctor %s", change["kind"], change["doctor_id"])
    _send(messages, what=", ".join(f"{c['kind']} for doctor {c['doctor_id']}" for c in changes))


def publish_display_change(*, display_id) -> None:
    _send([(board_group(display_id), {"type": "display.changed"})], what=f"display {display_id} change")


def _send(messages: list[tuple[str, dict]], *, what: str) -> None:
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        async_to_sync(_group_send_all)(layer, messages)
    except Exception:
        logger.warning("Could not push %s", what, exc_info=True)


async def _group_send_all(layer, messages) -> None:
    results = await asyncio.gather(
        *(layer.group_send(group, message) for group, message in messages), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
