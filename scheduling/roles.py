"""Staff roles. Each role is a Group holding permissions (created by queues migration 0002);
pages and API endpoints check the permissions, so a superuser passes everywhere."""

RECEPTION = "Reception"
DOCTOR = "Doctor"
MANAGER = "Manager"

USE_DESK = "queues.use_desk"
WORK_QUEUE = "queues.work_queue"
VIEW_REPORTS = "queues.view_reports"
MANAGE_SCHEDULES = "scheduling.manage_schedules"

# Group -> permissions, as "app_label.codename".
ROLE_PERMISSIONS = {
    RECEPTION: [USE_DESK],
    DOCTOR: [WORK_QUEUE],
    MANAGER: [USE_DESK, WORK_QUEUE, VIEW_REPORTS, MANAGE_SCHEDULES, "auth.view_user", "auth.add_user", "auth.change_user"],
}


def doctor_for(user):
    """The Doctor whose queue this login works, or None."""
    return getattr(user, "doctor", None) if getattr(user, "is_authenticated", False) else None


def can_work_doctor_queue(user, doctor) -> bool:
    """Managers (and superusers) may open any doctor's queue; a Doctor only their own."""
    if user.has_perm(MANAGE_SCHEDULES):
        return True
    own = doctor_for(user)
    return user.has_perm(WORK_QUEUE) and own is not None and own.pk == doctor.pk


def ensure_role_groups(**kwargs) -> None:
    """Create the role Groups with their permissions if missing. Runs after every migrate (and
    after the test runner flushes a database), so the roles always exist."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.add(*wanted)
