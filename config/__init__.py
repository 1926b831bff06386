# The Celery app is loaded with Django, so tasks are registered and `send_task` finds it.
from config.celery import app as celery_app

__all__ = ["celery_app"]
