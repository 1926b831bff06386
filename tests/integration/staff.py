"""Staff logins for the live-screen tests. Transactional tests flush the role Groups that
migration 0002 created, so they are made again here from scheduling.roles when missing."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from scheduling.roles import ROLE_PERMISSIONS

PASSWORD = "x-test-pass-123"


def role_group(role: str) -> Group:
    group, created = Group.objects.get_or_create(name=role)
    if created:
        for perm in ROLE_PERMISSIONS[role]:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def make_staff(username: str, role: str, doctor=None, password: str = PASSWORD):
    user = get_user_model().objects.create_user(username, password=password)
    user.groups.add(role_group(role))
    if doctor is not None:
        doctor.user = user
        doctor.save(update_fields=["user"])
    return user
