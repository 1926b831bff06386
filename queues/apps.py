from django.apps import AppConfig
from django.db.models.signals import post_migrate


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = "Queues"

    def ready(self):
        from scheduling.roles import ensure_role_groups

        # After this app's permissions exist (created by auth's own post_migrate handler).
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="queues.ensure_role_groups")
