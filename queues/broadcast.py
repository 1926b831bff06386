"""After-commit pushes to the channel layer.

Services call `queue_changed(...)` inside their transaction; the push runs only once the
transaction commits (so nothing rolled back is ever announced), and a failed push is logged,
never raised (so a broken Redis never undoes a booking).
"""

import logging
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def doctor_group(doctor_id) -> str:
    """Channel-layer group of everything showing one doctor's queue."""
    return f"doctor.{doctor_id}"


def queue_changed(*, doctor_id, slot_id, kind: str) -> None:
    transaction.on_commit(
        partial(publish_queue_change, doctor_id=str(doctor_id), slot_id=str(slot_id), kind=kind),
        robust=True,
    )


def publish_queue_change(*, doctor_id: str, slot_id: str, kind: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "queue.changed", "doctor_id": doctor_id, "slot_id": slot_id, "kind": kind}
    try:
        async_to_sync(layer.group_send)(doctor_group(doctor_id), message)
    except Exception:
        logger.warning("Could not push %s for doctor %s", kind, doctor_id, exc_info=True)
