"""Consent to be messaged, per patient and channel, and each notice's delivery on each channel.

The notices themselves are the queue's outbox (queues.models.Notice), written by the allocation
service; this app renders and delivers them."""

import uuid

from django.conf import settings
from django.db import models

from queues.models import Notice
from scheduling.models import Patient


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"


class Consent(models.Model):
    """One decision of a patient about one channel (India's DPDP Act 2023: when, how and by whom
    consent was given or withdrawn). Append-only: the latest row per patient and channel is the
    one in force."""

    class How(models.TextChoices):
        DESK = "desk", "Told the reception desk"
        API = "api", "Through the API (online booking)"
        LINK = "link", "Opt-out link in a message"
        REPLY = "reply", "Replied with a keyword"
        ADMIN = "admin", "Recorded by an administrator"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    language = models.CharField(max_length=2, choices=[("en", "English"), ("hi", "हिन्दी (Hindi)")], default="en")
    how = models.CharField(max_length=8, choices=How.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "channel", "-at"])]

    def __str__(self):
        return f"{self.patient} {self.get_channel_display()}: {'yes' if self.granted else 'no'}"


class Delivery(models.Model):
    """A notice on one channel: queued, sent (the provider took it), delivered (its receipt came),
    failed (with the provider's reason) or skipped (why it was not sent)."""

    class State(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        SENT = "SENT", "Sent"
        DELIVERED = "DELIVERED", "Delivered"
        FAILED = "FAILED", "Failed"
        SKIPPED = "SKIPPED", "Not sent"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    to = models.CharField(max_length=254, blank=True)
    body = models.TextField(blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_id = models.CharField(max_length=100, blank=True, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["notice", "channel"], name="one_delivery_per_notice_channel")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.get_state_display()}"
