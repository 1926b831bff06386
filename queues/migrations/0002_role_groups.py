"""Create the staff role Groups with their permissions (Reception, Doctor, Manager)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here (not imported) so this migration keeps meaning what it meant when written.
ROLE_PERMISSIONS = {
    "Reception": ["queues.use_desk"],
    "Doctor": ["queues.work_queue"],
    "Manager": [
        "queues.use_desk", "queues.work_queue", "queues.view_reports", "scheduling.manage_schedules",
        "auth.view_user", "auth.add_user", "auth.change_user",
    ],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("queues", "0001_initial"),
        ("scheduling", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
