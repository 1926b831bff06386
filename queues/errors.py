"""Domain errors raised by the allocation service.

Each carries a message a receptionist can read; pages show it, the API returns it with
`status_code` and `code` (the shape of scheduling.errors.DomainError).
"""

from scheduling.errors import DomainError


class AllocationError(DomainError):
    status_code = 409
    code = "refused"


class InvalidRequest(AllocationError):
    status_code = 400
    code = "invalid"


class NotFound(AllocationError):
    status_code = 404
    code = "not_found"


class SlotNotFound(NotFound):
    def __init__(self):
        super().__init__("No such slot.")


class PatientNotFound(NotFound):
    def __init__(self):
        super().__init__("No such patient.")


class TokenNotFound(NotFound):
    def __init__(self):
        super().__init__("No such token.")


class WaitingEntryNotFound(NotFound):
    def __init__(self):
        super().__init__("No such waiting-list entry.")


class AlreadyBooked(AllocationError):
    code = "already_booked"


class SlotClosed(AllocationError):
    code = "slot_closed"


class InvalidTransition(AllocationError):
    code = "invalid_transition"


class NobodyArrived(AllocationError):
    code = "nobody_arrived"


class CapacityTooSmall(AllocationError):
    code = "capacity_too_small"


class SlotBusy(AllocationError):
    """The slot's lock could not be had in time (lock_timeout): safe to retry."""

    status_code = 503
    code = "slot_busy"

    def __init__(self):
        super().__init__("The slot is busy with other bookings right now; please try again.")
