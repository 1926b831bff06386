"""The background worker: Celery on the Redis broker (REDIS_URL or CELERY_BROKER_URL).

`celery -A config worker` runs the tasks, `celery -A config beat` the timed jobs (the Procfile
has one line each). With no broker configured (`make run`), tasks run in the web process instead
(notices.dispatch hands them to a thread), so a newcomer still sees notices in the console.
Correctness never depends on the broker: the outbox in the database is the source of truth and
a periodic sweep re-queues what a lost task left behind.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
