"""ASGI entry point: websockets through Channels, HTTP through Django's WSGI handler.

Django's own ASGI handler runs every sync view in a fresh thread per request (a thread-sensitive
context each), and hops between the event loop and that thread around it: on this app that cost
more CPU than the booking itself. Our views are sync, so HTTP requests go to Django's WSGI
handler on a fixed pool of threads (a2wsgi), one hop per request, each thread reusing its
database connection; websockets stay on the event loop. One process, one port ($PORT), as the
Procfile serves it.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
get_asgi_application()  # sets up Django before the routing imports models

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from config.metrics import forget_this_process_at_exit  # noqa: E402
from config.origins import SameOriginValidator  # noqa: E402
from queues.routing import websocket_urlpatterns  # noqa: E402

forget_this_process_at_exit()

wsgi_bridge = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)


async def http(scope, receive, send):
    """HTTP into the WSGI bridge. a2wsgi reads the body with run_coroutine_threadsafe, which
    needs a coroutine: some servers' `receive` (granian's) returns another awaitable."""

    async def receive_coroutine():
        return await receive()

    await wsgi_bridge(scope, receive_coroutine, send)


application = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
