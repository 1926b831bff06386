"""The token state machine: which status may move to which, and which actions staff may take
on a token now. Services move tokens only through `move`; templates ask `allowed_actions`."""

from __future__ import annotations

from datetime import datetime, timedelta

from queues.errors import InvalidTransition
from queues.models import Token

Status = Token.Status

# Which status each status may move to. CALLED -> ARRIVED is "skip" (back to the queue),
# NO_SHOW -> ARRIVED is a reinstatement (the patient turned up after all, the same day).
TRANSITIONS = {
    Status.CONFIRMED: {Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW},
    Status.ARRIVED: {Status.CALLED, Status.CANCELLED, Status.NO_SHOW},
    Status.CALLED: {Status.COMPLETED, Status.NO_SHOW, Status.ARRIVED},
    Status.NO_SHOW: {Status.ARRIVED},
}
ACTION_NAMES = {
    Status.ARRIVED: "checked in",
    Status.CALLED: "called",
    Status.COMPLETED: "completed",
    Status.CANCELLED: "cancelled",
    Status.NO_SHOW: "marked as a no-show",
}
STAMPS = {
    Status.ARRIVED: "arrived_at",
    Status.CALLED: "called_at",
    Status.COMPLETED: "completed_at",
    Status.CANCELLED: "cancelled_at",
    Status.NO_SHOW: "no_show_at",
}
# Staff actions and the status each leads to (recall keeps the status).
ACTIONS = {
    "check_in": (Status.CONFIRMED, Status.ARRIVED),
    "reinstate": (Status.NO_SHOW, Status.ARRIVED),
    "complete": (Status.CALLED, Status.COMPLETED),
    "recall": (Status.CALLED, Status.CALLED),
    "skip": (Status.CALLED, Status.ARRIVED),
    "no_show": (None, Status.NO_SHOW),
    "cancel": (None, Status.CANCELLED),
}
# Skipped this many times, a patient is offered as a no-show.
SKIPS_BEFORE_NO_SHOW = 2


def can_move(token: Token, to: str) -> bool:
    return to in TRANSITIONS.get(token.status, set())


def allowed_actions(token: Token) -> set[str]:
    """The actions staff may take on this token now (a token's page or row shows these)."""
    allowed = set()
    for action, (source, target) in ACTIONS.items():
        if source is not None and token.status != source:
            continue
        if action == "recall" or can_move(token, target):
            allowed.add(action)
    return allowed


ACTION_VERBS = {"complete": "completed", "recall": "called again", "skip": "skipped", "check_in": "checked in",
                "reinstate": "reinstated"}


def check_action(token: Token, action: str) -> None:
    """Refuse a staff action the token's status does not start (skip is only for a called
    patient: on a booked one it would check them in)."""
    source = ACTIONS[action][0]
    if source is not None and token.status != source:
        raise InvalidTransition(
            f"Token {token.token_label} is {token.get_status_display().lower()}; "
            f"only a {Token.Status(source).label.lower()} patient can be {ACTION_VERBS[action]}."
        )


def offer_no_show(token: Token, *, now: datetime | None = None, second_call_at: datetime | None = None,
                  grace_minutes: int | None = None) -> bool:
    """A called patient is offered to the doctor as a no-show (never marked by itself) once skipped
    twice, or once `grace_minutes` have passed since they were called the second time (called,
    then called again) without coming in."""
    if token.status != Status.CALLED:
        return False
    if token.skip_count >= SKIPS_BEFORE_NO_SHOW:
        return True
    return (second_call_at is not None and now is not None and grace_minutes is not None
            and now >= second_call_at + timedelta(minutes=grace_minutes))


def move(token: Token, to: str, now: datetime) -> dict:
    """Apply a status transition in memory and stamp its time; returns the state before it."""
    if not can_move(token, to):
        raise InvalidTransition(
            f"Token {token.token_label} is {token.get_status_display().lower()}; it cannot be {ACTION_NAMES[to]}."
        )
    before = state_of(token)
    previous = token.status
    token.status = to
    keep_arrival = to == Status.ARRIVED and previous == Status.CALLED  # a skipped patient keeps their check-in time
    if not keep_arrival:
        setattr(token, STAMPS[to], now)
    if previous == Status.CALLED and to == Status.ARRIVED:
        token.called_at = None
    return before


def state_of(token: Token) -> dict:
    return {"status": token.status, "token_number": token.token_number, "category": token.category}
