"""Email through Django's own email backends (EMAIL_BACKEND, EMAIL_HOST, ...)."""

import uuid

from django.conf import settings
from django.core.mail import EmailMessage

from notices.backends.base import Message, ProviderError, Sent


def send(message: Message) -> Sent:
    reference = message.reference or uuid.uuid4().hex
    email = EmailMessage(
        subject=f"{settings.HOSPITAL_NAME}: token {message.fields.get('label', '')}",
        body=message.body, to=[message.to], headers={"X-OPD-Reference": reference},
    )
    try:
        email.send(fail_silently=False)
    except OSError as exc:  # SMTP and socket errors
        raise ProviderError(f"{type(exc).__name__}: {exc}", retry=True) from exc
    return Sent(provider="email", provider_id=reference)
