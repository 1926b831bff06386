"""Who may act on a queue through the API: slots' actions, tokens, a doctor's day
(config/permissions.py: how roles are checked; scheduling.roles: who works which queue)."""

from rest_framework.permissions import BasePermission

from config.permissions import has_role
from scheduling.permissions import ManagesSchedulesOrReads
from scheduling.roles import USE_DESK, WORK_QUEUE, can_work_doctor_queue


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
        if action in self.DESK_ACTIONS:
            return has_role(user, USE_DESK)
        if action == "delay" and has_role(user, USE_DESK):
            return True
        if action in self.QUEUE_ACTIONS:
            return has_role(user, WORK_QUEUE)
        if action in self.PATIENT_READS:
            return has_role(user, USE_DESK, WORK_QUEUE)
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        action = getattr(view, "action", None)
        if action in {"delay", *self.PATIENT_READS} and request.user.has_perm(USE_DESK):
            return True
        if action in self.QUEUE_ACTIONS | self.PATIENT_READS:
            return can_work_doctor_queue(request.user, obj.doctor)
        return True


class TokenActions(BasePermission):
    """Tokens: booking, cancelling and check-in are the desk's; the consultation's own steps
    (complete, skip, recall) belong only to whoever works that doctor's queue (the doctor, a
    manager); a no-show may be marked by either."""

    CONSULTATION_ACTIONS = {"complete", "skip", "recall"}
    SHARED_ACTIONS = {"no_show"}

    def has_permission(self, request, view):
        action = getattr(view, "action", None)
        if action in self.CONSULTATION_ACTIONS:
            return has_role(request.user, WORK_QUEUE)
        if action in self.SHARED_ACTIONS:
            return has_role(request.user, USE_DESK, WORK_QUEUE)
        return has_role(request.user, USE_DESK)

    def has_object_permission(self, request, view, obj):
        action = getattr(view, "action", None)
        if action in self.CONSULTATION_ACTIONS or (action in self.SHARED_ACTIONS and not request.user.has_perm(USE_DESK)):
            return can_work_doctor_queue(request.user, obj.doctor)
        return True


class DoctorQueueAccess(BasePermission):
    """A doctor's day: reception reads any doctor's (it books into them); calling the next
    patient belongs to whoever works that doctor's queue (the doctor, a manager)."""

    def has_permission(self, request, view):
        return has_role(request.user, USE_DESK, WORK_QUEUE)

    def has_object_permission(self, request, view, doctor):
        if getattr(view, "action", None) == "queue" and request.user.has_perm(USE_DESK):
            return True
        return can_work_doctor_queue(request.user, doctor)
