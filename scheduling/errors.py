"""Domain errors raised by the scheduling services (scheduling.slots), and the shape every
domain error has, here and in queues.errors.

A domain error carries a `message` staff can read, the input `field` it is about (None when it
is about the whole request), and the `status_code` and `code` the API answers with
(config.api.exception_handler). Pages show the message, on the field when there is one.
"""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details  # more for the API's answer, e.g. the id of the token already booked


class SchedulingError(DomainError):
    pass


class InvalidSlot(SchedulingError):
    """The slot's times or capacity break a limit (scheduling.models)."""

    code = "invalid_slot"


class SlotOverlap(SchedulingError):
    """The doctor already has a slot, not cancelled, at part of that time."""

    code = "slot_overlap"

    def __init__(self, message: str):
        super().__init__(message, field="start_time")


class DoctorBusy(SchedulingError):
    """The doctor's lock could not be had in time (lock_timeout): safe to retry."""

    status_code = 503
    code = "doctor_busy"

    def __init__(self):
        super().__init__("Someone else is changing this doctor's slots right now; please try again.")


class PatientError(DomainError):
    pass


class PossibleDuplicate(PatientError):
    """The new patient matches one already registered (same ABHA, or same name and phone)."""

    status_code = 409
    code = "possible_duplicate"

    def __init__(self, message: str, *, matches, can_confirm: bool):
        matches = list(matches)
        super().__init__(message, patient_id=str(matches[0].pk), matches=[str(p.pk) for p in matches],
                         can_confirm_new=can_confirm)
        self.matches = matches
        self.can_confirm = can_confirm  # False for an ABHA match: one ABHA is one person


class RegistryBusy(PatientError):
    """The UHID series lock could not be had in time: safe to retry."""

    status_code = 503
    code = "registry_busy"

    def __init__(self):
        super().__init__("Another registration is taking the next hospital number right now; please try again.")
