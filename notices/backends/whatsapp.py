"""WhatsApp Cloud API: only approved templates (NOTICE_WHATSAPP_TEMPLATES[kind]), in the
patient's language, with the template's body parameters (notices.texts.WHATSAPP_PARAMETERS)."""

from django.conf import settings

from notices.backends.base import Message, ProviderError, Sent, post
from notices.texts import WHATSAPP_PARAMETERS


def send(message: Message) -> Sent:
    name = settings.NOTICE_WHATSAPP_TEMPLATES.get(message.kind, "")
    if not name:
        raise ProviderError(f"No approved WhatsApp template is configured for {message.kind}.", retry=False)
    parameters = [{"type": "text", "text": str(message.fields.get(f, ""))} for f in WHATSAPP_PARAMETERS[message.kind]]
    response = post(
        f"{settings.WHATSAPP_API_URL.rstrip('/')}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages",
        headers={"Authorization": f"Bearer {settings.WHATSAPP_TOKEN}"},
        json={
            "messaging_product": "whatsapp", "to": message.to, "type": "template",
            "template": {"name": name, "language": {"code": message.language},
                         "components": [{"type": "body", "parameters": parameters}]},
        },
    )
    try:
        provider_id = response.json()["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderError(f"WhatsApp answered without a message id: {response.text[:200]}", retry=False) from None
    return Sent(provider="whatsapp", provider_id=provider_id)
