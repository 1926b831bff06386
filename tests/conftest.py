import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from scheduling.models import Department, Doctor, Patient, Slot


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("CI") and skipped:
        terminalreporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI a skipped test is a failure.", red=True)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") and reporter and reporter.stats.get("skipped") and session.exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture
def department(db):
    return Department.objects.create(name="General Medicine")


@pytest.fixture
def doctor(department):
    return Doctor.objects.create(name="Dr. Asha Rao", specialization="Physician", department=department, room="4")


@pytest.fixture
def make_patient(db):
    counter = iter(range(1, 100000))

    def make(name=None, **kwargs):
        n = next(counter)
        return Patient.objects.create(name=name or f"Patient {n}", phone=kwargs.pop("phone", f"98{n:08d}"), **kwargs)

    return make


@pytest.fixture
def patient(make_patient):
    return make_patient("Jane Doe")


@pytest.fixture
def make_slot(doctor):
    """A slot starting `starts_in` from now (default: started 10 minutes ago, runs an hour)."""

    def make(capacity=15, starts_in=timedelta(minutes=-10), length=timedelta(hours=1), of=None, **kwargs):
        start = timezone.now() + starts_in
        return Slot.objects.create(
            doctor=of or doctor, start_time=start, end_time=start + length, max_capacity=capacity, **kwargs
        )

    return make


@pytest.fixture
def slot(make_slot):
    return make_slot()


@pytest.fixture
def staff_user(db):
    # A Manager: every role's permission, so API tests exercise every endpoint (the role
    # matrix itself is tests/api/test_permissions.py).
    user = get_user_model().objects.create_user("reception", password="x-test-pass-123")
    user.groups.add(Group.objects.get(name="Manager"))
    return user


@pytest.fixture
def api(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def metrics_on(settings):
    """/metrics on, with the scrape token of tests/prometheus.py and django-prometheus's middleware."""
    from tests.prometheus import TOKEN

    settings.METRICS_TOKEN = TOKEN
    settings.MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *settings.MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]


@pytest.fixture(scope="session")
def redis_url():
    from tests.services import ensure_redis_url

    return ensure_redis_url()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with no screens counted as open (queues/watchers.py keeps them in the cache)."""
    from django.core.cache import cache

    from config.authentication import forget_tokens
    from queues import categories, selectors

    forget_tokens()
    cache.clear()
    categories._forget()
    selectors.forget_pace()


@pytest.fixture
def clinic_morning():
    """Pin the clock to 10:00 on a fixed local day, so slots hours apart stay on one day
    whatever time the suite runs."""
    from datetime import datetime

    import time_machine

    morning = timezone.make_aware(datetime(2026, 3, 2, 10, 0), timezone.get_current_timezone())
    with time_machine.travel(morning, tick=False):
        yield morning


@pytest.fixture(autouse=True)
def _local_noon(request):
    """Every in-process test runs at 12:00 of today's local date (the clock ticks on), so slots
    made hours from "now" stay on one day whatever time the suite runs. Tests that pin their own
    clock travel again inside this; tests with other processes (concurrency, integration,
    browsers) keep the real clock, which those processes share."""
    path = str(request.node.path)
    if any(f"/tests/{part}/" in path for part in ("concurrency", "integration", "e2e")):
        yield
        return
    from datetime import datetime, time

    import time_machine

    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)), timezone.get_current_timezone())
    with time_machine.travel(noon, tick=True):
        yield
