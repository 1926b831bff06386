"""Who may read and change scheduling's records through the API (config/permissions.py: how)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from config.permissions import STAFF_ROLES, UsesDesk, has_role
from scheduling.roles import MANAGE_SCHEDULES


class PatientActions(UsesDesk):
    """Patients: the desk registers, finds and corrects them (each edit recorded); deleting a
    patient record (a duplicate with no bookings) is a manager's."""

    def has_permission(self, request, view):
        if getattr(view, "action", None) == "destroy":
            return has_role(request.user, MANAGE_SCHEDULES)
        return super().has_permission(request, view)


class ManagesSchedulesOrReads(BasePermission):
    """Doctors, departments and slots: any staff role reads; only managers write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return has_role(request.user, *STAFF_ROLES)
        return has_role(request.user, MANAGE_SCHEDULES)
