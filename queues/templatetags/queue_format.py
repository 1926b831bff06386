"""Small display filters of the queue's pages."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration_minutes(value: timedelta | None) -> str:
    """A duration as whole minutes ("6"); "" for none."""
    if value is None:
        return ""
    return str(max(1, round(value.total_seconds() / 60)))


@register.filter
def allowed_actions(token) -> set[str]:
    """What staff may do with this token now (queues.states): {% if "check_in" in t|allowed_actions %}."""
    from queues.states import allowed_actions as allowed

    return allowed(token)
