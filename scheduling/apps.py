from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        from config import access

        access.connect_signals()  # live staff sockets recheck when a login's access changes
