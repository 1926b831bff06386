import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.browser


def test_a_receptionist_logs_in_and_lands_on_the_desk(page, live_server_url, login, django_user_model):
    user = django_user_model.objects.create_user("asha", password="counter-pass-42")
    user.groups.add(Group.objects.get(name="Reception"))
    login("asha", "counter-pass-42")
    assert page.url.rstrip("/").endswith("/desk")


def test_a_wrong_password_is_explained_on_the_page(page, live_server_url, login, django_user_model):
    django_user_model.objects.create_user("asha", password="counter-pass-42")
    login("asha", "wrong")
    assert page.get_by_role("alert").inner_text().startswith("Wrong username or password")
