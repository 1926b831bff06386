"""/metrics for a Prometheus scraper holding METRICS_TOKEN (Authorization: Bearer <token>).

No token configured: 404, as if there were no such page. Missing or wrong token: 403. The
answer adds up every process that writes to PROMETHEUS_MULTIPROC_DIR when it is set (the web
processes, and the worker given the same directory: prometheus_client's multiprocess mode) and
today's queues, read from the database at this scrape.
"""

import atexit
import hmac
import os

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

import notices.metrics  # noqa: F401  (its counter joins the registry: /metrics lists it before any delivery)
from queues.metrics import QueueCollector


def forget_this_process_at_exit() -> None:
    """In multiprocess mode, drop this process's live gauges (open sockets) when it exits."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        atexit.register(multiprocess.mark_process_dead, os.getpid())


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _scrape_registry():
    registry = CollectorRegistry(auto_describe=True)
    registry.register(QueueCollector())
    return registry


def _authorized(request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), settings.METRICS_TOKEN.encode())


@never_cache
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorized(request):
        return HttpResponseForbidden("A scrape token is required.", content_type="text/plain")
    body = generate_latest(_process_registry()) + generate_latest(_scrape_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
