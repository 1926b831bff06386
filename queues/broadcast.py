"""After-commit pushes to the channel layer.

Services call `queue_changed(...)` inside their transaction; the push runs only once the
transaction commits (so nothing rolled back is ever announced), and a failed push is logged,
never raised (so a broken Redis never undoes a booking).

Each change is rendered once, here, and the HTML is sent to the groups that show it:
- `doctor_group(doctor_id)`: the doctor's page (the queue fragment, swapped by id);
- `board_doctor_group(doctor_id, language)`: every board showing that doctor in that language
  (the doctor's row, plus a call announcement when a token is called);
- `DESK_GROUP`: reception desks (a small JSON note; their panels refresh themselves);
- `status_group(doctor_id)`: patients' status pages (one snapshot of the doctor's day as plain
  values; each page's consumer renders its own line, so no page reads the database for it).
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
import hashlib
import json
import logging
import re
import threading
import time
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction

from queues import metrics, patient_status, watchers

logger = logging.getLogger(__name__)

DESK_GROUP = "desk"
ANNOUNCED_KINDS = {"called", "recalled"}
SENT_MEMORY_SECONDS = 6 * 3600  # a screen that connects gets the full state anyway


def doctor_group(doctor_id) -> str:
    """Channel-layer group of every doctor's page showing one doctor's queue."""
    return f"doctor.{doctor_id}"


def board_group(display_id) -> str:
    """Channel-layer group of the open screens of one Display (for revocation and set-up changes)."""
    return f"board.{display_id}"


def status_group(doctor_id) -> str:
    """Channel-layer group of the patients' status pages of one doctor's tokens and waiting list."""
    return f"status.{doctor_id}"


def board_doctor_group(doctor_id, language: str) -> str:
    """Channel-layer group of the boards that show one doctor's row in one language."""
    return f"board.{doctor_id}.{language}"


# --- scheduling (inside the service's transaction) --------------------------------------------


def queue_changed(*, doctor_id, slot_id, kind: str, message: str = "") -> None:
    """Schedule the push of a change; `message` is a note for the desks (numbers, no names)."""
    transaction.on_commit(
        partial(_after_commit, doctor_id=str(doctor_id), slot_id=str(slot_id), kind=kind, messages=[message] if message else []),
        robust=True,
    )


def _after_commit(*, doctor_id: str, slot_id: str, kind: str, messages: list) -> None:
    # Never raise: the booking is already committed. (Also sidesteps Django 5.2's robust
    # on_commit logging, which itself fails on a functools.partial: Django ticket #36487.)
    try:
        if settings.LIVE_PUSH_COALESCE_MS > 0:
            _coalescer.add(doctor_id=doctor_id, slot_id=slot_id, kind=kind, messages=messages, committed_at=time.monotonic())
        else:
            publish_queue_change(doctor_id=doctor_id, slot_id=slot_id, kind=kind, messages=messages)
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

    def add(self, *, doctor_id: str, slot_id: str, kind: str, messages: list, committed_at: float | None = None) -> None:
        with self._lock:
            earlier = self._pending.get(doctor_id)
            if earlier and earlier["kind"] in ANNOUNCED_KINDS and kind not in ANNOUNCED_KINDS:
                kind = earlier["kind"]  # keep the call announcement; the render shows the latest state
            if earlier:
                messages = earlier["messages"] + messages  # desk notes are never merged away
                committed_at = earlier["committed_at"]  # the push latency of the oldest change it carries
            self._pending[doctor_id] = {
                "doctor_id": doctor_id, "slot_id": slot_id, "kind": kind, "messages": messages,
                "committed_at": committed_at if committed_at is not None else time.monotonic(),
            }
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


def queue_change_messages(*, doctor_id: str, slot_id: str, kind: str, messages: list | None = None) -> list[tuple[str, dict]]:
    """Render what changed, once per fragment, as (group, message) pairs. Parts that are the
    same as last sent to their group are left out, so a booking at the end of a long queue
    sends the doctor's page only its counts."""
    from queues import fragments
    from scheduling.models import Doctor

    boards = [board_doctor_group(doctor_id, lang) for lang in fragments.BOARD_LANGUAGES]
    watched = watchers.watched([DESK_GROUP, doctor_group(doctor_id), status_group(doctor_id), *boards])
    notes, out = messages or [], []
    if DESK_GROUP in watched:
        out.append((DESK_GROUP, {"type": "live.text", "text": json.dumps(
            {"event": "queue-changed", "kind": kind, "doctor_id": doctor_id, "slot_id": slot_id, "notes": notes})}))
    if status_group(doctor_id) in watched:
        out.append((status_group(doctor_id), {"type": "status.snapshot", "snapshot": patient_status.doctor_snapshot(doctor_id=doctor_id)}))
    if not watched - {DESK_GROUP, status_group(doctor_id)}:
        return out  # no doctor page or board shows this doctor: render nothing
    doctor = Doctor.objects.select_related("department").get(pk=doctor_id)
    group = doctor_group(doctor_id)
    if group in watched:
        html = only_changed(group, fragments.render_doctor_parts(doctor))
        if html:
            out.insert(0, (group, {"type": "live.html", "html": html}))
    for language in fragments.BOARD_LANGUAGES:
        group = board_doctor_group(doctor_id, language)
        if group in watched:
            row, call = fragments.render_board_row(doctor, language)
            html = only_changed(group, {"row": row}) + (call if kind in ANNOUNCED_KINDS else "")
            if html:
                out.append((group, {"type": "live.html", "html": html}))
    return out


_RENDERED_STAMP = re.compile(r' data-rendered="[^"]*"')


def forget_sent(groups: list[str]) -> None:
    """A screen joins these groups with the full current state, which may differ from what was
    last pushed there (changes nobody watched were never rendered): forget what was sent, so
    the next change reaches it whatever it is."""
    from queues import fragments

    keys = [f"pushed:{group}:{name}" for group in groups for name in (*fragments.DOCTOR_PARTS, "row")]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("Push cache unavailable", exc_info=True)


def only_changed(group: str, parts: dict[str, str]) -> str:
    """The parts whose content differs from what was last sent to the group (remembered in
    the shared cache, so every web process knows); all of them when the cache is down."""
    digests = {
        name: hashlib.blake2b(_RENDERED_STAMP.sub("", html).encode(), digest_size=12).hexdigest()
        for name, html in parts.items()
    }
    keys = {name: f"pushed:{group}:{name}" for name in parts}
    try:
        last = cache.get_many(list(keys.values()))
        changed = [name for name in parts if last.get(keys[name]) != digests[name]]
        cache.set_many({keys[name]: digests[name] for name in changed}, timeout=SENT_MEMORY_SECONDS)
    except Exception:
        logger.warning("Push cache unavailable: sending every part", exc_info=True)
        changed = list(parts)
    return "".join(parts[name] for name in changed)


def publish_queue_change(*, doctor_id: str, slot_id: str, kind: str, messages: list | None = None) -> None:
    publish_queue_changes([{"doctor_id": doctor_id, "slot_id": slot_id, "kind": kind, "messages": messages or [],
                            "committed_at": time.monotonic()}])


def publish_queue_changes(changes: list[dict]) -> None:
    """Render and send several doctors' changes with one trip through the event loop; each
    change's time from commit to send goes to the push-latency metric."""
    messages = []
    for change in changes:
        try:
            messages += queue_change_messages(**{k: v for k, v in change.items() if k != "committed_at"})
        except Exception:
            logger.exception("Could not render the %s change for doctor %s", change["kind"], change["doctor_id"])
    if _send(messages, what=", ".join(f"{c['kind']} for doctor {c['doctor_id']}" for c in changes)):
        sent = time.monotonic()
        for change in changes:
            if "committed_at" in change:
                metrics.PUSH_LATENCY.observe(sent - change["committed_at"])


def publish_display_change(*, display_id) -> None:
    _send([(board_group(display_id), {"type": "display.changed"})], what=f"display {display_id} change")


def _send(messages: list[tuple[str, dict]], *, what: str) -> bool:
    """Hand the messages to the channel layer; False if there was nothing to send or it failed."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return False
    try:
        async_to_sync(_group_send_all)(layer, messages)
    except Exception:
        logger.warning("Could not push %s", what, exc_info=True)
        return False
    return True


async def _group_send_all(layer, messages) -> None:
    results = await asyncio.gather(
        *(layer.group_send(group, message) for group, message in messages), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
