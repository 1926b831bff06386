"""`make run`'s demo patients agree to SMS, so its console shows the notices of what you do."""

from io import StringIO

import pytest
from django.core.management import call_command

from notices import consent
from notices.models import Consent

pytestmark = pytest.mark.django_db


def test_demo_patients_agree_to_sms_once_and_a_refusal_stands(make_patient, settings):
    settings.DEBUG = True
    agreed, refused = make_patient(), make_patient()
    consent.record_consent(patient_id=refused.pk, channel="sms", granted=False, how="desk")
    call_command("seed_demo_consents", stdout=StringIO())
    call_command("seed_demo_consents", stdout=StringIO())  # again: nothing more
    decision = consent.in_force(agreed.pk)["sms"]
    assert decision.granted and decision.how == Consent.How.ADMIN and decision.note == "demo data"
    assert not consent.in_force(refused.pk)["sms"].granted
    assert Consent.objects.filter(patient=agreed).count() == 1
