"""How pages and the API check roles (roles are Groups with permissions: scheduling/roles.py).
The rules that depend on what is asked for live in the app that owns them:
scheduling/permissions.py, queues/permissions.py.

Pages: one decorator, `@role_required(perm, ...)`: anonymous users go to the login page; a
logged-in user with none of the permissions gets 403.
API: DRF permission classes that ask `has_role`; one that needs only a role names it in
`roles` on a HasRole. Anonymous requests get 401/403.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from scheduling import roles

STAFF_ROLES = (roles.USE_DESK, roles.WORK_QUEUE, roles.VIEW_REPORTS, roles.MANAGE_SCHEDULES)


def has_role(user, *perms: str) -> bool:
    """Logged in and holding at least one of the permissions."""
    return bool(user and user.is_authenticated and any(user.has_perm(p) for p in perms))


def role_required(*perms: str):
    """Page decorator: login first, then at least one of the permissions (403 without)."""

    def decorate(view):
        @wraps(view)
        def check(request, *args, **kwargs):
            if not has_role(request.user, *perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(check)

    return decorate


class HasRole(BasePermission):
    """API: at least one of `roles`."""

    roles: tuple[str, ...] = ()

    def has_permission(self, request, view):
        return has_role(request.user, *self.roles)


class IsStaffMember(HasRole):
    """Any staff role (the API schema)."""

    roles = STAFF_ROLES


class UsesDesk(HasRole):
    """Patients, bookings and token actions at reception."""

    roles = (roles.USE_DESK,)


class ViewsReports(HasRole):
    roles = (roles.VIEW_REPORTS,)
