"""The default backend of every channel: the notice is written to the log (the console of
`make run`), nothing leaves the machine."""

import logging
import uuid

from notices.backends.base import Message, Sent

logger = logging.getLogger("notices.console")


def send(message: Message) -> Sent:
    logger.info("[%s to %s] %s", message.channel, message.to, message.body)
    return Sent(provider="console", provider_id=uuid.uuid4().hex)
