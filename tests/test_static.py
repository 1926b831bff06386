"""Static files through the async middleware chain (config.static): served as WhiteNoise
serves them, and no request leaves the event loop for a middleware."""

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, Client

from config.static import StaticFilesMiddleware


@pytest.mark.django_db
async def test_a_static_file_is_served_under_asgi():
    response = await AsyncClient().get("/static/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css") and int(response["Content-Length"]) > 0


@pytest.mark.django_db
def test_a_static_file_is_served_under_wsgi_too():
    assert Client().get("/static/css/base.css").status_code == 200


def test_every_middleware_runs_in_the_event_loop():
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        assert getattr(middleware, "async_capable", False), f"{path} would move every request into a thread"
    handler = ASGIHandler()
    assert handler._middleware_chain is not None
    assert StaticFilesMiddleware.async_capable
