"""The queue's own Prometheus metrics (the HTTP and database basics come from django-prometheus).

Counted as things happen, in this process (prometheus_client's multiprocess mode adds up the web
processes when PROMETHEUS_MULTIPROC_DIR is set): bookings by outcome, push latency, open live
sockets. Read from the database at scrape time, so every process answers the same: queue length
and the longest wait per doctor today (`QueueCollector`).

Metric labels carry doctors and outcomes only, never a patient.
"""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from scheduling.errors import DomainError

BOOKINGS = Counter(
    "opdq_bookings", "Bookings by outcome: token, waiting_list, or the reason refused (slot_closed, ...).", ["outcome"]
)
PUSH_LATENCY = Histogram(
    "opdq_push_latency_seconds",
    "From a change's commit to its push being handed to the channel layer.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPEN_SOCKETS = Gauge("opdq_open_sockets", "Live screens connected, by screen.", ["screen"], multiprocess_mode="livesum")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_counting = ContextVar("counting_a_booking", default=False)


def counts_bookings(book):
    """Count each call of a booking service by what it gave: a token, a waiting-list place, or
    the domain error that refused it (errors are re-raised untouched). A booking service called
    by another (book_token -> insert_emergency) is counted once."""

    @functools.wraps(book)
    def counted(*args, **kwargs):
        if _counting.get():
            return book(*args, **kwargs)
        outer = _counting.set(True)
        try:
            result = book(*args, **kwargs)
        except DomainError as exc:
            BOOKINGS.labels(_snake(type(exc).__name__)).inc()
            raise
        finally:
            _counting.reset(outer)
        BOOKINGS.labels("waiting_list" if getattr(result, "waiting_entry", None) is not None else "token").inc()
        return result

    return counted


class QueueCollector:
    """Today's queue per doctor, from the database at each scrape: patients present and waiting,
    patients expected (booked, not yet checked in), and how long the longest-waiting present
    patient has waited."""

    def collect(self):
        from queues.models import Token

        now = timezone.now()
        rows = (
            Token.objects.filter(day=timezone.localdate(now), status__in=(Token.Status.ARRIVED, Token.Status.CONFIRMED))
            .values("doctor_id", "doctor__name")
            .annotate(
                present=Count("id", filter=Q(status=Token.Status.ARRIVED)),
                expected=Count("id", filter=Q(status=Token.Status.CONFIRMED)),
                waiting_since=Min("arrived_at", filter=Q(status=Token.Status.ARRIVED)),
            )
            .order_by("doctor_id")
        )
        length = GaugeMetricFamily(
            "opdq_queue_length", "Today's patients waiting for a doctor: present (checked in) or expected.",
            labels=["doctor_id", "doctor", "state"],
        )
        wait = GaugeMetricFamily(
            "opdq_queue_longest_wait_seconds", "How long the longest-waiting present patient has waited today.",
            labels=["doctor_id", "doctor"],
        )
        for row in rows:
            doctor = [str(row["doctor_id"]), row["doctor__name"]]
            length.add_metric([*doctor, "present"], row["present"])
            length.add_metric([*doctor, "expected"], row["expected"])
            since = row["waiting_since"]
            wait.add_metric(doctor, max((now - since).total_seconds(), 0) if since else 0)
        yield length
        yield wait
