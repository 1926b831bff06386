"""Idempotency-Key on the API's POSTs: a client that timed out may send the same request again
with the same key and gets the first answer, the change made once.

- Same staff member, same key, same request (method, path, body): the stored answer again, with
  `Idempotent-Replayed: true`; nothing runs.
- Same key with another request: 422. While the first is still running: 409, retry shortly.
- Answers kept: every 2xx and 4xx. A 5xx, 429 or 503 is not kept, so a retry runs afresh.
- Keys live IDEMPOTENCY_KEY_HOURS (24) in the database (IdempotencyRecord).
A POST without the header costs nothing extra.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from idempotency.models import IdempotencyRecord
from scheduling.errors import DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
ABANDONED_AFTER = timedelta(minutes=1)  # a first request that never finished (its process died)
NOT_KEPT = {429, 503}


class IdempotencyError(DomainError):
    pass


class InvalidKey(IdempotencyError):
    code = "invalid_idempotency_key"


class KeyReused(IdempotencyError):
    status_code = 422
    code = "idempotency_key_reused"

    def __init__(self):
        super().__init__(f"This {HEADER} was already used for a different request; send a new key for a new request.")


class StillRunning(IdempotencyError):
    status_code = 409
    code = "idempotency_key_in_progress"

    def __init__(self):
        super().__init__(f"The first request with this {HEADER} is still being handled; retry in a moment.")


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), request.body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def claim(*, user, key: str, fingerprint: str) -> IdempotencyRecord:
    """Take the key for this request, or raise: _Replay (answered before), KeyReused, StillRunning."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidKey(f"An {HEADER} has 1 to {MAX_KEY_LENGTH} characters.")
    now = timezone.now()
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().filter(user=user, key=key).first()
        if record is not None and record.expires_at <= now:
            record.delete()
            record = None
        if record is None:
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        user=user, key=key, fingerprint=fingerprint, created_at=now,
                        expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
                    )
            except IntegrityError:  # the same key, claimed a moment ago by a concurrent request
                raise StillRunning() from None
        if record.fingerprint != fingerprint:
            raise KeyReused()
        if record.status_code is None:
            if record.created_at > now - ABANDONED_AFTER:
                raise StillRunning()
            record.created_at = now
            record.save(update_fields=["created_at"])
            return record
        raise _Replay(record)


def settle(record: IdempotencyRecord, response) -> None:
    """Keep the answer (or free the key when the answer must not be replayed)."""
    if response.status_code >= 500 or response.status_code in NOT_KEPT:
        release(record)
        return
    record.status_code, record.body = response.status_code, response.data
    record.save(update_fields=["status_code", "body"])


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


class IdempotentPosts:
    """Viewset mixin (first in the bases): honours Idempotency-Key on every POST, after the
    request is authenticated, permitted and throttled."""

    _idempotency: IdempotencyRecord | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._idempotency = None
        key = request.headers.get(HEADER)
        if request.method == "POST" and key is not None:
            self._idempotency = claim(user=request.user, key=key.strip(), fingerprint=_fingerprint(request))

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            response = Response(exc.record.body, status=exc.record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            return super().handle_exception(exc)
        except Exception:  # a 500: free the key so a retry runs
            if self._idempotency is not None:
                release(self._idempotency)
                self._idempotency = None
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency is not None:
            settle(self._idempotency, response)
            self._idempotency = None
        return response
