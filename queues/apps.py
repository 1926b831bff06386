from django.apps import AppConfig
from django.db.models.signals import post_migrate


class QueuesConfig(AppConfig):
    name = "queues"
    verbose_name = "Queues"

    def ready(self):
        from queues import categories  # noqa: F401  (connects its cache's signal handlers)
        from scheduling.roles import ensure_role_groups

        # After this app's permissions exist (created by auth's own post_migrate handler).
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="queues.ensure_role_groups")
        post_migrate.connect(ensure_categories, sender=self, dispatch_uid="queues.ensure_categories")


def ensure_categories(**kwargs):
    """An empty category table (a flushed database) gets the seeded categories back; rows a
    manager changed are never touched."""
    from importlib import import_module

    from queues.models import Category

    if not Category.objects.exists():
        import_module("queues.migrations.0005_seed_categories").create_categories(Category)
