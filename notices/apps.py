from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Notices to patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from notices import tasks  # noqa: F401  (registers the worker's tasks in every process)
