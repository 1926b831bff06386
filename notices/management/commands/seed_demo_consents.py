"""Demo data: every demo patient with a phone agrees to SMS (recorded as by an administrator,
noted as demo data), so `make run` prints the notices of what you do in its console. Safe to
run again: patients who already decided are left as they are."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notices import consent
from notices.models import Channel, Consent
from scheduling.models import Patient


class Command(BaseCommand):
    help = "Record SMS consent for demo patients (idempotent). Refuses to run with DEBUG off unless --force is given."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to record demo consents with DEBUG off (use --force).")
        decided = set(Consent.objects.filter(channel=Channel.SMS).values_list("patient_id", flat=True))
        added = 0
        for patient in Patient.objects.exclude(phone="").exclude(pk__in=decided):
            if consent.contact_of(patient, Channel.SMS):
                consent.record_consent(patient_id=patient.pk, channel=Channel.SMS, granted=True, how=Consent.How.ADMIN,
                                       note="demo data")
                added += 1
        self.stdout.write(f"SMS consent recorded for {added} demo patient(s).")
