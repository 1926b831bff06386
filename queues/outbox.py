"""Notices owed to patients, written by the allocation service inside its transaction (the
outbox, queues.models.Notice) and handed to the worker after commit.

Nothing is rendered or sent here: after commit the ids go to a background thread of the web
process, which passes them to the broker (`notices.deliver_many`, by name: queues never imports
the notices app); with no broker it runs the task itself, in that thread. If the broker is down
the row stays queued and the worker's sweep (notices.sweep_outbox) delivers it later.

One broker message per burst, not per notice: a Celery message costs the web process about
0.8 ms of CPU (kombu builds and signs it), as much as a third of a booking's own service time, so
the thread gathers what commits within NOTICE_HANDOFF_MS and hands it over as one task.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from functools import partial

from django.conf import settings
from django.db import close_old_connections, transaction

from queues.models import Notice, Token, WaitingListEntry

logger = logging.getLogger(__name__)

DELIVER_TASK = "notices.deliver"
DELIVER_MANY_TASK = "notices.deliver_many"
MESSAGE_SIZE = 100  # notices per broker message
Kind = Notice.Kind


def for_token(kind: str, token: Token, *, key: str = "", **params) -> Notice:
    return Notice(kind=kind, key=key or kind, token_id=token.pk, patient_id=token.patient_id, doctor_id=token.doctor_id,
                  params=params)


def for_entry(kind: str, entry: WaitingListEntry, *, key: str = "", **params) -> Notice:
    return Notice(kind=kind, key=key or kind, waiting_entry_id=entry.pk, patient_id=entry.patient_id,
                  doctor_id=entry.doctor_id, params=params)


def write(notices: list[Notice]) -> None:
    """Insert the notices (one statement; one already owed for the same token and key is left
    as it is) and hand them to the worker after commit."""
    if not notices:
        return
    Notice.objects.bulk_create(notices, ignore_conflicts=True)
    dispatch_after_commit([n.pk for n in notices])


def write_now(notices: list[Notice]) -> None:
    """Outside a queue change (the worker's reminders): insert and hand over at once."""
    if notices:
        Notice.objects.bulk_create(notices, ignore_conflicts=True)
        dispatch([str(n.pk) for n in notices])


def dispatch_after_commit(ids: list) -> None:
    transaction.on_commit(partial(_after_commit, ids=[str(i) for i in ids]), robust=True)


def _after_commit(*, ids: list[str]) -> None:
    try:
        if settings.NOTICE_DISPATCH_THREAD:
            _dispatcher.add(ids)
        else:
            dispatch(ids)
    except Exception:  # never raise: the change is committed, and the sweep will deliver
        logger.exception("Could not hand notices %s to the worker", ids)


def dispatch(ids: list[str], *, countdown: float = 0) -> None:
    """Hand notices to the worker, a message per MESSAGE_SIZE of them (or, with no broker,
    deliver them here)."""
    from celery import current_app

    for start in range(0, len(ids), MESSAGE_SIZE):
        chunk = ids[start:start + MESSAGE_SIZE]
        try:
            if current_app.conf.task_always_eager:
                current_app.tasks[DELIVER_MANY_TASK].apply(args=[chunk])
            else:
                current_app.send_task(DELIVER_MANY_TASK, args=[chunk], countdown=countdown or None)
        except Exception:
            logger.warning("Notices %s not handed to the worker; the outbox sweep will", chunk, exc_info=True)


def dispatch_later(ids: list[str], *, countdown: float) -> None:
    """Hand notices over again after `countdown` seconds (a retry's back-off, quiet hours): by
    the broker's countdown, or with no broker a timer thread of this process. The sweep is the
    backstop either way."""
    from celery import current_app

    if current_app.conf.task_always_eager:
        if not settings.NOTICE_RETRY_IN_PROCESS:
            return  # the sweep picks it up
        timer = threading.Timer(countdown, dispatch, args=[ids])
        timer.daemon = True
        timer.start()
    else:
        dispatch(ids, countdown=countdown)


class Dispatcher:
    """A daemon thread per process that hands committed notices to the worker, so the request
    that wrote them spends nothing on the broker."""

    def __init__(self, *, background: bool = True):
        self._background = background  # False: nothing is handed over until next_burst() is called
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def add(self, ids: list[str]) -> None:
        self._queue.put(ids)
        with self._lock:
            if self._background and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="notice-dispatch", daemon=True)
                self._thread.start()

    def next_burst(self) -> list[str]:
        """Wait for committed notices, then for the rest of their burst: all of them."""
        ids = self._queue.get()
        time.sleep(settings.NOTICE_HANDOFF_MS / 1000)
        while not self._queue.empty():
            ids = ids + self._queue.get_nowait()
        return ids

    def _run(self) -> None:
        while True:
            ids = self.next_burst()
            close_old_connections()
            try:
                dispatch(ids)
            except Exception:
                logger.exception("Notice dispatch failed")
            finally:
                close_old_connections()


_dispatcher = Dispatcher()
