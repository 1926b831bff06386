"""Websocket routes (the consumers come with the live-queue pages)."""

websocket_urlpatterns = []
