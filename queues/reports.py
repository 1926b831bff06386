"""The daily report's figures, computed in the database. One function serves the API and the
report page, so both always agree."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q

from queues.models import Category, QueueEvent, Token, WaitingListEntry


def daily_counts(*, day: date, doctor_id=None) -> dict:
    """Tokens of one local day by category and by status, overall and per doctor."""
    tokens = Token.objects.filter(day=day)
    waiting = WaitingListEntry.objects.filter(day=day)
    events = QueueEvent.objects.filter(slot__start_time__date=day)
    if doctor_id:
        tokens = tokens.filter(doctor_id=doctor_id)
        waiting = waiting.filter(doctor_id=doctor_id)
        events = events.filter(slot__doctor_id=doctor_id)

    by_category = {c: 0 for c in Category.values}
    by_category.update(dict(tokens.order_by().values_list("category").annotate(n=Count("pk"))))
    by_status = {s: 0 for s in Token.Status.values}
    by_status.update(dict(tokens.order_by().values_list("status").annotate(n=Count("pk"))))

    per_doctor = [
        {
            "doctor_id": row["doctor_id"],
            "doctor_name": row["doctor__name"],
            "total_tokens": row["total"],
            **{f"{s.lower()}": row[s] for s in Token.Status.values},
        }
        for row in tokens.order_by("doctor__name")
        .values("doctor_id", "doctor__name")
        .annotate(total=Count("pk"), **{s: Count("pk", filter=Q(status=s)) for s in Token.Status.values})
    ]
    waiting_counts = waiting.order_by().aggregate(
        total=Count("pk"),
        still_waiting=Count("pk", filter=Q(status=WaitingListEntry.Status.WAITING)),
        promoted=Count("pk", filter=Q(status=WaitingListEntry.Status.PROMOTED)),
    )
    return {
        "date": day.isoformat(),
        "doctor_id": str(doctor_id) if doctor_id else None,
        "total_tokens": sum(by_category.values()),
        "by_category": by_category,
        "by_status": by_status,
        "emergencies": by_category[Category.EMERGENCY],
        "waiting_list": waiting_counts,
        "delays_set": events.filter(kind=QueueEvent.Kind.DELAY_SET).count(),
        "doctors": per_doctor,
    }
