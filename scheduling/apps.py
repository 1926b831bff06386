from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        from config import access

        access.connect_signals()  # live staff sockets recheck when a login's access changes

        from scheduling.identity import check_uhid_pattern

        try:  # a bad pattern stops the app at start, not at the first registration
            check_uhid_pattern(settings.UHID_PATTERN)
        except ValueError as exc:
            raise ImproperlyConfigured(str(exc)) from exc
