"""Live staff sockets lose access the moment their login does.

A staff socket (doctor's page, desk) checks its login when it connects. Afterwards, whatever can
take access away announces it to the login's own channel-layer group, after commit:
- the login saved (deactivated, password changed, name or anything else: a recheck is cheap),
  deleted, or its role groups changed;
- a doctor's login link changed (every socket on that doctor's page rechecks);
- a logout (that session's sockets close at once; the login's other sessions recheck).
Each socket then rechecks against the database (queues.consumers) and closes with 4403 if its
session or login no longer grants what it shows. Nothing here runs on an ordinary request: only
on these rare changes. As a backstop for a change that sends no signal (a queryset update, a
lost message), every staff socket also rechecks each SOCKET_ACCESS_RECHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)


def user_group(user_id) -> str:
    """Channel-layer group of every staff socket of one login."""
    return f"staff.{user_id}"


def doctor_access_group(doctor_id) -> str:
    """Channel-layer group of the staff sockets on one doctor's page."""
    return f"staff-doctor.{doctor_id}"


# --- announcing -------------------------------------------------------------------------------


def access_changed(*, group: str, ended_session: str = "") -> None:
    """After commit, tell the group's sockets to recheck (those of `ended_session` just close)."""
    message = {"type": "access.changed", "ended_session": ended_session}
    transaction.on_commit(partial(_send, group, message), robust=True)


def _send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    try:
        if loop is None:
            async_to_sync(layer.group_send)(group, message)
        else:  # called from code already on an event loop's thread: send from that loop
            loop.create_task(layer.group_send(group, message))
    except Exception:  # the periodic recheck still closes the socket
        logger.warning("Could not tell %s that its access changed", group, exc_info=True)


def _user_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # every login saves last_login: nothing to recheck
    access_changed(group=user_group(instance.pk))


def _user_deleted(sender, instance, **kwargs):
    access_changed(group=user_group(instance.pk))


def _groups_changed(sender, instance, action, pk_set=None, **kwargs):
    if action not in {"post_remove", "post_clear", "post_add"}:
        return
    if isinstance(instance, get_user_model()):
        access_changed(group=user_group(instance.pk))
    else:  # a group lost or gained members: theirs
        for user_id in pk_set or ():
            access_changed(group=user_group(user_id))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        access_changed(group=user_group(user.pk), ended_session=request.session.session_key or "")


def _doctor_saved(sender, instance, **kwargs):
    access_changed(group=doctor_access_group(instance.pk))


def connect_signals() -> None:
    from scheduling.models import Doctor

    User = get_user_model()
    post_save.connect(_user_saved, sender=User, dispatch_uid="access.user_saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="access.user_deleted")
    m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="access.groups_changed")
    user_logged_out.connect(_logged_out, dispatch_uid="access.logged_out")
    post_save.connect(_doctor_saved, sender=Doctor, dispatch_uid="access.doctor_saved")
    post_delete.connect(_doctor_saved, sender=Doctor, dispatch_uid="access.doctor_deleted")


# --- rechecking -------------------------------------------------------------------------------


def current_user(scope):
    """The socket's login as the database has it now, or None if it no longer stands: the login
    is gone or inactive, or the socket's session has ended or predates a password change."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None:
        return None
    session = scope.get("session")
    if session is not None and session.session_key:
        stored = session.__class__(session.session_key)  # read again: the scope's copy is from connect time
        if str(stored.get(SESSION_KEY)) != str(user.pk) or not stored.get(BACKEND_SESSION_KEY):
            return None
        if not constant_time_compare(stored.get(HASH_SESSION_KEY, ""), fresh.get_session_auth_hash()):
            return None
    return fresh
