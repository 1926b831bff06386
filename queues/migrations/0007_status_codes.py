"""Every token and waiting-list entry gets the code of its public status page (/s/<code>/);
rows that exist already are given one here."""

from django.db import migrations, models

import queues.models


def give_existing_rows_codes(apps, schema_editor):
    for name in ("Token", "WaitingListEntry"):
        model = apps.get_model("queues", name)
        taken = set()
        for row in model.objects.filter(status_code__isnull=True).only("pk").iterator():
            code = queues.models.new_status_code()
            while code in taken:
                code = queues.models.new_status_code()
            taken.add(code)
            model.objects.filter(pk=row.pk).update(status_code=code)


class Migration(migrations.Migration):
    dependencies = [("queues", "0006_queue_events_append_only")]

    operations = [
        migrations.AddField("token", "status_code", models.CharField(max_length=10, null=True, editable=False)),
        migrations.AddField("waitinglistentry", "status_code", models.CharField(max_length=10, null=True, editable=False)),
        migrations.RunPython(give_existing_rows_codes, migrations.RunPython.noop),
        migrations.AlterField(
            "token", "status_code",
            models.CharField(
                max_length=10, unique=True, default=queues.models.new_status_code, editable=False,
                help_text="The code of the patient's public status page (/s/<code>/), printed on the slip.",
            ),
        ),
        migrations.AlterField(
            "waitinglistentry", "status_code",
            models.CharField(
                max_length=10, unique=True, default=queues.models.new_status_code, editable=False,
                help_text="The code of the patient's public status page (/s/<code>/), printed on the slip.",
            ),
        ),
    ]
