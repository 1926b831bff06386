"""The notices' Prometheus metric (exported by /metrics, config/metrics.py, beside the queue's).

`opdq_notice_deliveries_total{channel, outcome}`: what became of each attempt to deliver a notice
on a channel. Outcomes: `sent` (the provider took it), `retried` (a 5xx or network failure, tried
again after a back-off), `failed` (refused, or out of attempts), `deferred_quiet_hours`, and
`skipped_no_consent`, `skipped_no_contact`, `skipped_daily_limit`, `skipped_stale` (the notice no
longer applies). Receipts that come later (delivered, undelivered) are on the Delivery rows only.

Counted by the process that delivers: the Celery worker (with no broker, the web process). The
worker's counts reach /metrics in multiprocess mode only, when it shares the web processes'
PROMETHEUS_MULTIPROC_DIR (docs/operations.md). No label carries a patient.
"""

from django.db import transaction
from prometheus_client import Counter

DELIVERIES = Counter(
    "opdq_notice_deliveries",
    "Notice deliveries per channel by outcome: sent, retried, failed, deferred_quiet_hours or skipped_<why>.",
    ["channel", "outcome"],
)


def count_delivery(*, channel: str, outcome: str) -> None:
    """Counted when the delivery's new state commits, so the count agrees with the Delivery rows
    (a run rolled back, then delivered again, is counted once)."""
    transaction.on_commit(DELIVERIES.labels(channel, outcome).inc, robust=True)
