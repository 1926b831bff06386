"""Staff logins for tests, one per role. The role Groups always exist: they are recreated after
every migrate and after transactional tests flush the database (scheduling.roles)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

PASSWORD = "x-test-pass-123"


def role_group(role: str) -> Group:
    return Group.objects.get(name=role)


def make_staff(username: str, role: str, doctor=None, password: str = PASSWORD):
    user = get_user_model().objects.create_user(username, password=password)
    user.groups.add(role_group(role))
    if doctor is not None:
        doctor.user = user
        doctor.save(update_fields=["user"])
    return user
