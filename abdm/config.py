"""Whether Scan & Share is switched on, and what is missing when it is not."""

from django.conf import settings

REQUIRED = ("ABDM_CLIENT_ID", "ABDM_CLIENT_SECRET", "ABDM_HIP_ID")
SHARE_VALID_MINUTES = 30  # a repeat share within this time gets the same counter token
ANSWER_DEADLINE_SECONDS = 30  # ABDM expects the on-share answer within this time


def missing_settings() -> list[str]:
    return [name for name in REQUIRED if not getattr(settings, name, "")]


def enabled() -> bool:
    return not missing_settings()


def off_message() -> str:
    return ("Scan & Share is off: set " + ", ".join(missing_settings())
            + " (and ABDM_GATEWAY_URL for production; see docs/abdm.md).")
