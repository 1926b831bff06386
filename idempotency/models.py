"""The first answer to each API POST sent with an Idempotency-Key (idempotency.api)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """One staff member's key: the request it was first sent with (a fingerprint) and, once that
    request is answered, the answer. Kept in the database so a restart or another web process
    knows it; expires after IDEMPOTENCY_KEY_HOURS."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty while the first request runs.")
    body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_record_per_user_key")]

    def __str__(self):
        return f"{self.key} ({self.status_code or 'running'})"
