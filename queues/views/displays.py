"""Managers' set-up of waiting-room boards (/displays/): create, edit, rotate the key, revoke.
Rotating or revoking closes the boards still open with the old link at once."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.permissions import role_required
from queues import broadcast
from queues.models import Display, new_display_key
from scheduling.models import Doctor
from scheduling.roles import MANAGE_SCHEDULES


class DisplayForm(forms.ModelForm):
    doctors = forms.ModelMultipleChoiceField(
        queryset=Doctor.objects.filter(is_active=True), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=f"Up to {Display.MAX_DOCTORS} doctors fit on a board. Nothing chosen: every doctor.",
    )

    class Meta:
        model = Display
        fields = ["name", "department", "doctors", "language", "chime", "speech"]

    def clean(self):
        data = super().clean()
        doctors = set(data.get("doctors") or [])
        if data.get("department"):
            doctors |= set(Doctor.objects.filter(department=data["department"], is_active=True))
        if len(doctors) > Display.MAX_DOCTORS:
            raise forms.ValidationError(
                f"This board would show {len(doctors)} doctors; at most {Display.MAX_DOCTORS} fit. "
                "Choose fewer or make a second board."
            )
        return data


def board_url(request, display) -> str:
    return request.build_absolute_uri(reverse("queues:board", args=[display.key]))


@role_required(MANAGE_SCHEDULES)
def display_list(request):
    form = DisplayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        display = form.save()
        messages.success(request, f"Board “{display.name}” created. Open its link on the TV.")
        return redirect("queues:displays")
    displays = Display.objects.select_related("department").prefetch_related("doctors")
    rows = [(d, board_url(request, d)) for d in displays]
    return render(request, "queues/displays.html", {"rows": rows, "form": form, "nav": "displays"})


@role_required(MANAGE_SCHEDULES)
def display_edit(request, display_id):
    display = get_object_or_404(Display, pk=display_id)
    form = DisplayForm(request.POST or None, instance=display)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            broadcast.display_changed(display_id=display.pk)
        messages.success(request, f"Board “{display.name}” saved; open screens updated.")
        return redirect("queues:displays")
    return render(request, "queues/displays_edit.html", {"display": display, "form": form, "nav": "displays",
                                                          "url": board_url(request, display)})


def _change_display(display_id, change) -> Display:
    """Apply `change` to the locked display and tell its open screens to recheck."""
    with transaction.atomic():
        display = get_object_or_404(Display.objects.select_for_update(), pk=display_id)
        change(display)
        broadcast.display_changed(display_id=display.pk)
    return display


def _rotate(display):
    display.key = new_display_key()
    display.key_rotated_at = timezone.now()
    display.save(update_fields=["key", "key_rotated_at"])


def _toggle_active(display):
    display.active = not display.active
    display.save(update_fields=["active"])


@role_required(MANAGE_SCHEDULES)
@require_POST
def display_rotate(request, display_id):
    display = _change_display(display_id, _rotate)
    messages.success(request, f"New link for “{display.name}”; the old link stopped working. {board_url(request, display)}")
    return redirect("queues:displays")


@role_required(MANAGE_SCHEDULES)
@require_POST
def display_revoke(request, display_id):
    display = _change_display(display_id, _toggle_active)
    state = "re-enabled" if display.active else "revoked: its screens were closed"
    messages.success(request, f"Board “{display.name}” {state}.")
    return redirect("queues:displays")
