"""WSGI entry point, for the split deployment behind nginx (docs/deploy.md): HTTP from a WSGI
server (granian's WSGI interface), websockets from config.asgi. It serves HTTP only.

Behind the proxy, the client's address and scheme come from X-Forwarded-For and -Proto, trusted
only from FORWARDED_ALLOW_IPS (as the Procfile's uvicorn does with --proxy-headers)."""

import os

from django.core.wsgi import get_wsgi_application
from granian.utils.proxies import wrap_wsgi_with_proxy_headers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = wrap_wsgi_with_proxy_headers(
    get_wsgi_application(), trusted_hosts=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
)
