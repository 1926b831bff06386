"""Channel backends, chosen per channel by settings (NOTICE_SMS_BACKEND, NOTICE_WHATSAPP_BACKEND,
NOTICE_EMAIL_BACKEND). Each takes a Message and returns Sent, or raises ProviderError."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notices.backends.base import Message, ProviderError, Sent

__all__ = ["Message", "ProviderError", "Sent", "backend_for"]


def backend_for(channel: str):
    from notices.backends import console, email, sms, whatsapp

    choices = {
        "sms": {"console": console.send, "http": sms.send_generic, "msg91": sms.send_msg91, "twilio": sms.send_twilio},
        "whatsapp": {"console": console.send, "cloud": whatsapp.send},
        "email": {"console": console.send, "django": email.send},
    }
    name = settings.NOTICE_BACKENDS[channel]
    try:
        return choices[channel][name]
    except KeyError:
        raise ImproperlyConfigured(f"Unknown {channel} backend {name!r}; choose one of {', '.join(choices[channel])}.") from None
