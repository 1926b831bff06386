import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def manager(client, django_user_model):
    """A client logged in as a Manager."""
    user = django_user_model.objects.create_user("boss", password="boss-pass-123")
    user.groups.add(Group.objects.get(name="Manager"))
    client.force_login(user)
    return client
