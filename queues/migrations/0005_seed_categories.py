"""The seed's five categories (codes and priorities unchanged), plus priorities many Indian
public hospitals give, seeded switched off for a manager to switch on; token labels for
tokens issued before labels existed."""

from django.db import migrations

CATEGORIES = [
    # code, name, Hindi name, base priority, checked in at booking, active, order
    ("EMERGENCY", "Emergency", "आपातकालीन", 1, True, True, 0),
    ("WALKIN", "Walk-in", "सीधे आए", 5, True, True, 1),
    ("ONLINE", "Online", "ऑनलाइन", 4, False, True, 2),
    ("FOLLOWUP", "Follow-up", "फ़ॉलो-अप", 3, False, True, 3),
    ("PRIORITY_PAID", "Priority (paid)", "प्राथमिकता (सशुल्क)", 2, False, True, 4),
    ("SENIOR_CITIZEN", "Senior citizen", "वरिष्ठ नागरिक", 3, True, False, 5),
    ("PREGNANT", "Pregnant woman", "गर्भवती महिला", 2, True, False, 6),
    ("DISABILITY", "Person with disability", "दिव्यांगजन", 3, True, False, 7),
]


def create_categories(Category) -> None:
    for code, name, name_hi, base, checked_in, active, order in CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={
            "name": name, "name_hi": name_hi, "base_priority": base, "checked_in_at_booking": checked_in,
            "active": active, "sort_order": order,
        })


def seed(apps, schema_editor):
    create_categories(apps.get_model("queues", "Category"))
    Token = apps.get_model("queues", "Token")
    for token in Token.objects.filter(token_label="").only("id", "token_number").iterator():
        Token.objects.filter(pk=token.pk).update(token_label=str(token.token_number))


class Migration(migrations.Migration):
    dependencies = [("queues", "0004_doctors_day")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
