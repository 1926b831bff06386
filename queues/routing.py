"""Websocket routes (mounted by config/asgi.py behind the origin check and session auth)."""

from django.urls import path

from queues import consumers

websocket_urlpatterns = [
    path("ws/board/<str:key>/", consumers.BoardConsumer.as_asgi()),
    path("ws/doctor/<uuid:doctor_id>/", consumers.DoctorConsumer.as_asgi()),
    path("ws/desk/", consumers.DeskConsumer.as_asgi()),
    path("ws/status/<str:code>/", consumers.StatusConsumer.as_asgi()),
]
