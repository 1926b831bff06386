import pytest
from django.contrib.auth.models import Group

from scheduling import roles


@pytest.mark.django_db
def test_the_role_groups_carry_their_permissions():
    manager = Group.objects.get(name=roles.MANAGER)
    codenames = set(manager.permissions.values_list("codename", flat=True))
    assert {"use_desk", "work_queue", "view_reports", "manage_schedules", "add_user"} <= codenames
    assert set(Group.objects.get(name=roles.RECEPTION).permissions.values_list("codename", flat=True)) == {"use_desk"}
    assert set(Group.objects.get(name=roles.DOCTOR).permissions.values_list("codename", flat=True)) == {"work_queue"}


@pytest.mark.django_db(transaction=True)
def test_the_roles_survive_a_flushed_database():
    # Transactional tests flush every table between tests; post_migrate brings the roles back.
    Group.objects.all().delete()
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    assert set(Group.objects.values_list("name", flat=True)) == {"Reception", "Doctor", "Manager"}
