"""API tokens are remembered per web process for API_TOKEN_CACHE_SECONDS: fewer queries per
request, and a revoked key or a changed role still takes effect within those seconds."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token as AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def client_for(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_remembered_key_skips_the_token_and_permission_queries(staff_user, doctor):
    client = client_for(AuthToken.objects.create(user=staff_user).key)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/doctors/").status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get("/api/v1/doctors/").status_code == 200
    assert len(again) <= len(first) - 3  # the token and its user, the user's and the groups' permissions


def test_a_deleted_key_stops_working_within_the_cache_time(staff_user, settings):
    settings.API_TOKEN_CACHE_SECONDS = 10
    token = AuthToken.objects.create(user=staff_user)
    client = client_for(token.key)
    assert client.get("/api/v1/doctors/").status_code == 200
    token.delete()
    with time_machine.travel(timezone.now() + timedelta(seconds=11)):
        assert client.get("/api/v1/doctors/").status_code == 401


def test_with_the_cache_off_a_deleted_key_fails_at_once(staff_user, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    token = AuthToken.objects.create(user=staff_user)
    client = client_for(token.key)
    assert client.get("/api/v1/doctors/").status_code == 200
    token.delete()
    assert client.get("/api/v1/doctors/").status_code == 401
