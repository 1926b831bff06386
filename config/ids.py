"""Ids typed into URLs and forms: check one is a UUID before it reaches a query."""

import uuid


def is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
