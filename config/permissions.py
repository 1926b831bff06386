"""Role checks for pages and the API (roles are Groups with permissions: scheduling/roles.py).

Pages: anonymous users go to the login page; a logged-in user without the role gets 403.
API: anonymous requests get 401/403; each viewset names the permission it needs.
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from scheduling import roles

STAFF_ROLES = (roles.USE_DESK, roles.WORK_QUEUE, roles.VIEW_REPORTS, roles.MANAGE_SCHEDULES)


def role_required(perm: str):
    """Page decorator: login first, then the role's permission (403 without it)."""

    def decorate(view):
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorate


def is_staff_member(user) -> bool:
    return bool(user and user.is_authenticated and any(user.has_perm(p) for p in STAFF_ROLES))


def staff_required(view):
    """Page decorator: login first, then any staff role (403 without one)."""

    def check(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(check)


class IsStaffMember(BasePermission):
    """Any staff role (the API schema)."""

    def has_permission(self, request, view):
        return is_staff_member(request.user)


class _Needs(BasePermission):
    perm = ""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.perm))


class UsesDesk(_Needs):
    """Patients, bookings and token actions at reception."""

    perm = roles.USE_DESK


class PatientActions(UsesDesk):
    """Patients: the desk registers, finds and corrects them (each edit recorded); deleting a
    patient record (a duplicate with no bookings) is a manager's."""

    def has_permission(self, request, view):
        if getattr(view, "action", None) == "destroy":
            return bool(request.user and request.user.is_authenticated and request.user.has_perm(roles.MANAGE_SCHEDULES))
        return super().has_permission(request, view)


class ViewsReports(_Needs):
    perm = roles.VIEW_REPORTS


class ManagesSchedulesOrReads(BasePermission):
    """Doctors, departments and slots: any staff role reads; only managers write."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return is_staff_member(request.user)
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(roles.MANAGE_SCHEDULES))


class SlotActions(ManagesSchedulesOrReads):
    """Slots: reading for any staff role; creating and capacity for managers; the desk's slot
    actions (delay, cancel) for reception; calling the next patient for whoever works the
    doctor's queue (and only that doctor's). A slot's tokens carry patients' names: the desk's
    and the slot's own doctor's to read, not other doctors'."""

    DESK_ACTIONS = {"cancel"}
    QUEUE_ACTIONS = {"call_next", "delay"}  # the desk may delay any slot too
    PATIENT_READS = {"tokens"}

    def has_permission(self, request, view):
        action = getattr(view, "action", None)
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if action in self.DESK_ACTIONS:
            return user.has_perm(roles.USE_DESK)
        if action == "delay" and user.has_perm(roles.USE_DESK):
            return True
        if action in self.QUEUE_ACTIONS:
            return user.has_perm(roles.WORK_QUEUE)
        if action in self.PATIENT_READS:
            return user.has_perm(roles.USE_DESK) or user.has_perm(roles.WORK_QUEUE)
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        action = getattr(view, "action", None)
        if action in {"delay", *self.PATIENT_READS} and request.user.has_perm(roles.USE_DESK):
            return True
        if action in self.QUEUE_ACTIONS | self.PATIENT_READS:
            return roles.can_work_doctor_queue(request.user, obj.doctor)
        return True


class TokenActions(BasePermission):
    """Tokens: booking, cancelling and check-in are the desk's; the consultation's own steps
    (complete, skip, recall) belong only to whoever works that doctor's queue (the doctor, a
    manager); a no-show may be marked by either."""

    CONSULTATION_ACTIONS = {"complete", "skip", "recall"}
    SHARED_ACTIONS = {"no_show"}

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = getattr(view, "action", None)
        if action in self.CONSULTATION_ACTIONS:
            return user.has_perm(roles.WORK_QUEUE)
        if action in self.SHARED_ACTIONS:
            return user.has_perm(roles.USE_DESK) or user.has_perm(roles.WORK_QUEUE)
        return user.has_perm(roles.USE_DESK)

    def has_object_permission(self, request, view, obj):
        action = getattr(view, "action", None)
        if action in self.CONSULTATION_ACTIONS or (action in self.SHARED_ACTIONS and not request.user.has_perm(roles.USE_DESK)):
            return roles.can_work_doctor_queue(request.user, obj.doctor)
        return True


class DoctorQueueAccess(BasePermission):
    """A doctor's day: reception reads any doctor's (it books into them); calling the next
    patient belongs to whoever works that doctor's queue (the doctor, a manager)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.has_perm(roles.USE_DESK) or user.has_perm(roles.WORK_QUEUE)))

    def has_object_permission(self, request, view, doctor):
        if getattr(view, "action", None) == "queue" and request.user.has_perm(roles.USE_DESK):
            return True
        return roles.can_work_doctor_queue(request.user, doctor)
