"""The desk's panel of a patient's consent to be messaged: what is in force per channel, and
a form to record a new yes or no (with the receptionist as "by whom")."""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from config.permissions import role_required
from notices import consent
from notices.models import Channel, Consent
from scheduling.models import Patient
from scheduling.roles import USE_DESK

TEMPLATE = "notices/desk_consent.html"


def _context(patient, *, error: str = "") -> dict:
    decisions = consent.in_force(patient.pk)
    rows = [
        {"channel": value, "label": label, "decision": decisions.get(value), "contact": consent.contact_of(patient, value)}
        for value, label in Channel.choices
    ]
    return {"patient": patient, "rows": rows, "error": error}


@require_http_methods(["GET", "POST"])
@role_required(USE_DESK)
def desk_consent(request, patient_id):
    patient = get_object_or_404(Patient, pk=patient_id)
    error = ""
    if request.method == "POST":
        try:
            consent.record_consent(
                patient_id=patient.pk, channel=request.POST.get("channel", ""), granted=request.POST.get("granted") == "1",
                how=Consent.How.DESK, by=request.user, language=request.POST.get("language", "en"),
            )
        except consent.ConsentError as exc:
            error = str(exc)
        if not request.htmx and not error:
            return redirect(reverse("queues:desk") + f"?patient={patient.pk}")
    template = f"{TEMPLATE}#consent-panel" if request.htmx else TEMPLATE
    return render(request, template, _context(patient, error=error), status=400 if error else 200)
