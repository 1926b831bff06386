"""The daily report's figures, computed in the database. One function, `daily_report`, serves the
report page, its CSV downloads and the API, so they always agree. docs/report.md says what each
figure means.

Every figure comes from a fixed number of aggregate queries (counts, sums and percentiles are
computed by the database, grouped by doctor or by hour); Python only merges the per-doctor rows,
of which there are as many as doctors, never as many as tokens.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from django.db import NotSupportedError, connections
from django.db.models import Aggregate, Count, Exists, F, FloatField, Func, OuterRef, Q, Sum
from django.db.models.functions import ExtractHour
from django.utils import timezone

from queues import categories, priority
from queues.models import Category, QueueEvent, Token, WaitingListEntry
from scheduling.models import Doctor, Patient, Slot

Status = Token.Status

# The two durations the report measures, each as (from timestamp, to timestamp).
DURATIONS = {
    "waiting": ("arrived_at", "called_at"),  # checked in at reception -> called in by the doctor
    "consultation": ("called_at", "completed_at"),  # called in -> consultation completed
}
PERCENTILES = {"median": 0.5, "p90": 0.9}


# --- database expressions ---------------------------------------------------------------------


class Seconds(Func):
    """Seconds from the first timestamp to the second (NULL when either is NULL)."""

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"Seconds() is not implemented for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        start, end = self.source_expressions
        return Func(end, start, template="EXTRACT(EPOCH FROM (%(expressions)s))::float8", arg_joiner=" - ").as_sql(
            compiler, connection
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        start, end = self.source_expressions
        # julianday's days as a double are exact to ~10 µs only: to the millisecond, 1500 s is 1500.0.
        return Func(
            end, start, template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)", arg_joiner=") - julianday("
        ).as_sql(compiler, connection)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the two nearest values),
    `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`. NULLs are ignored; no values
    gives NULL."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("A percentile's fraction is between 0 and 1.")
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("percentile_cont needs PostgreSQL; use percentile_from_sorted().")
        return super().as_sql(compiler, connection, **extra_context)


def percentile_from_sorted(values: list[float], fraction: float) -> float | None:
    """The same interpolation as percentile_cont, over values already in ascending order."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _duration(name: str) -> Seconds:
    start, end = DURATIONS[name]
    return Seconds(F(start), F(end))


def _percentile_aggregates() -> dict:
    return {
        f"{name}_{label}": PercentileCont(_duration(name), fraction)
        for name in DURATIONS
        for label, fraction in PERCENTILES.items()
    }


def _percentiles_by_doctor(tokens) -> tuple[dict, dict]:
    """{doctor_id: {"waiting_median": s, ...}} and the same for the whole selection.

    PostgreSQL computes them with percentile_cont, grouped by doctor: two queries. Other databases
    (SQLite, the app's default) have no percentile aggregate: one query per duration fetches the
    durations in order, already computed by the database, and they are interpolated the same way.
    """
    if connections[tokens.db].vendor != "postgresql":
        return _percentiles_from_ordered_rows(tokens)
    aggregates = _percentile_aggregates()
    per_doctor = {
        row.pop("doctor_id"): row for row in tokens.order_by().values("doctor_id").annotate(**aggregates)
    }
    return per_doctor, tokens.order_by().aggregate(**aggregates)


def _percentiles_from_ordered_rows(tokens) -> tuple[dict, dict]:
    """The fallback for databases without percentile_cont; works on PostgreSQL too."""
    per_doctor: dict = defaultdict(dict)
    overall: dict = {}
    for name in DURATIONS:
        by_doctor: dict = defaultdict(list)
        everyone = []
        rows = (
            tokens.annotate(seconds=_duration(name))
            .filter(seconds__isnull=False)
            .order_by("seconds")
            .values_list("doctor_id", "seconds")
        )
        for doctor_id, seconds in rows:
            by_doctor[doctor_id].append(seconds)
            everyone.append(seconds)
        for label, fraction in PERCENTILES.items():
            overall[f"{name}_{label}"] = percentile_from_sorted(everyone, fraction)
            for doctor_id, values in by_doctor.items():
                per_doctor[doctor_id][f"{name}_{label}"] = percentile_from_sorted(values, fraction)
    return dict(per_doctor), overall


# --- the report -------------------------------------------------------------------------------


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _token_counts() -> dict:
    return {
        "total": Count("pk"),
        **{f"status_{s}": Count("pk", filter=Q(status=s)) for s in Status.values},
        **{f"category_{c}": Count("pk", filter=Q(category=c)) for c in categories.codes()},
        "waiting_count": Count("pk", filter=Q(arrived_at__isnull=False, called_at__isnull=False)),
        "consultation_count": Count("pk", filter=Q(called_at__isnull=False, completed_at__isnull=False)),
    }


def _times(row: dict, percentiles: dict) -> dict:
    return {
        name: {
            "count": row.get(f"{name}_count", 0),
            **{label: percentiles.get(f"{name}_{label}") for label in PERCENTILES},
        }
        for name in DURATIONS
    }


def _figures(tokens: dict, slots: dict, waiting: dict) -> dict:
    """The headline figures of one doctor, or of everyone, from their aggregate rows."""
    booked = tokens.get("total", 0)
    seen = tokens.get(f"status_{Status.COMPLETED}", 0)
    no_shows = tokens.get(f"status_{Status.NO_SHOW}", 0)
    cancelled = tokens.get(f"status_{Status.CANCELLED}", 0)
    capacity = slots.get("capacity") or 0
    return {
        "booked": booked,
        "seen": seen,
        "no_shows": no_shows,
        "no_show_rate": _ratio(no_shows, booked - cancelled),
        "cancelled": cancelled,
        "emergencies": tokens.get(f"category_{Category.EMERGENCY}", 0),
        "promotions": waiting.get("promoted", 0),
        "still_waiting": waiting.get("still_waiting", 0),
        "slots": slots.get("slots", 0),
        "cancelled_slots": slots.get("cancelled_slots", 0),
        "capacity": capacity,
        "utilisation": _ratio(seen, capacity),
        "delay_minutes": slots.get("delay_minutes") or 0,
    }


def _hours(tokens) -> list[dict]:
    """Arrivals (check-ins) and patients seen (completions) per hour of the hospital's clock."""
    counts: dict = defaultdict(lambda: {"arrivals": 0, "seen": 0})
    for key, field in (("arrivals", "arrived_at"), ("seen", "completed_at")):
        rows = (
            tokens.filter(**{f"{field}__isnull": False})
            .annotate(hour=ExtractHour(field))  # in the current (hospital's) time zone
            .order_by()
            .values("hour")
            .annotate(n=Count("pk"))
            .values_list("hour", "n")
        )
        for hour, n in rows:
            counts[hour][key] = n
    if not counts:
        return []
    return [
        {"hour": hour, "label": f"{hour:02d}:00", **counts.get(hour, {"arrivals": 0, "seen": 0})}
        for hour in range(min(counts), max(counts) + 1)
    ]


def _estimate_errors(tokens) -> tuple[dict, dict]:
    """How far the first estimate each patient was told fell from their real call: the median
    absolute error in minutes and the number of patients it covers, per doctor and overall."""
    pairs: dict = defaultdict(list)
    rows = tokens.filter(first_estimate__isnull=False, called_at__isnull=False).values_list("doctor_id", "first_estimate", "called_at")
    for doctor_id, estimate, called in rows:
        pairs[doctor_id].append((estimate, called))

    def summary(items):
        return {"median_abs_error_minutes": priority.median_absolute_error_minutes(items), "count": len(items)}

    return {d: summary(items) for d, items in pairs.items()}, summary([p for items in pairs.values() for p in items])


# --- who came: new and repeat patients, sex and age (the government OPD register) -------------

AGE_BANDS = [("0-14", 0, 14), ("15-29", 15, 29), ("30-44", 30, 44), ("45-59", 45, 59), ("60+", 60, None)]
SEXES = {"male": Patient.Sex.MALE, "female": Patient.Sex.FEMALE, "other": Patient.Sex.OTHER}
# A visit is a token that was not cancelled and not a no-show: the patient came, or is still expected.
NOT_VISITS = (Status.CANCELLED, Status.NO_SHOW)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _age_band(day: date, low: int, high: int | None) -> Q:
    """Patients aged low..high on `day`: by date of birth when known, else by the age told.
    Aged at least `low` means born on or before `day` less `low` years; at most `high` means born
    after `day` less `high + 1` years."""
    by_birth = Q(patient__date_of_birth__lte=years_before(day, low))
    by_age = Q(patient__date_of_birth__isnull=True, patient__age__gte=low)
    if high is not None:
        by_birth &= Q(patient__date_of_birth__gt=years_before(day, high + 1))
        by_age &= Q(patient__age__lte=high)
    return by_birth | by_age


def _earlier_visit(**same) -> Exists:
    """The patient had a visit on an earlier day (to the hospital, or with `same` fields)."""
    earlier = Token.objects.filter(patient=OuterRef("patient"), day__lt=OuterRef("day")).exclude(status__in=NOT_VISITS)
    return Exists(earlier.filter(**{f: OuterRef(f) for f in same}))


def with_visit_kind(tokens):
    """Tokens annotated with new_to_hospital and new_to_department: no visit on an earlier day to
    the hospital / to a doctor of the same department. Derived when asked (the report), so a
    booking pays nothing for it and a cancelled first visit never leaves a patient "repeat"."""
    return tokens.annotate(
        new_to_hospital=~_earlier_visit(),
        new_to_department=~_earlier_visit(doctor__department=True),
    )


def _census_counts(day: date, *, new_field: str) -> dict:
    """Distinct patients by visit kind, sex and age band (aggregates over visits)."""
    patients = {"patients": Count("patient", distinct=True)}
    patients["new"] = Count("patient", distinct=True, filter=Q(**{new_field: True}))
    for key, code in SEXES.items():
        patients[key] = Count("patient", distinct=True, filter=Q(patient__sex=code))
    patients["sex_not_recorded"] = Count("patient", distinct=True, filter=Q(patient__sex=""))
    for label, low, high in AGE_BANDS:
        patients[f"age_{label}"] = Count("patient", distinct=True, filter=_age_band(day, low, high))
    patients["age_not_recorded"] = Count(
        "patient", distinct=True, filter=Q(patient__date_of_birth__isnull=True, patient__age__isnull=True))
    return patients


def _census_row(row: dict) -> dict:
    return {
        "patients": row["patients"],
        "new": row["new"],
        "repeat": row["patients"] - row["new"],
        "sex": {key: row[key] for key in [*SEXES, "sex_not_recorded"]},
        "age_bands": {label: row[f"age_{label}"] for label, _, _ in AGE_BANDS} | {"not_recorded": row["age_not_recorded"]},
    }


def patient_census(tokens, *, day: date) -> tuple[dict, list[dict]]:
    """Who came on the day, for the whole selection and per department: distinct patients, new
    and repeat (first visit to the hospital overall; to the department in its row), male /
    female / other, and the age bands. Two aggregate queries."""
    visits = with_visit_kind(tokens.exclude(status__in=NOT_VISITS))
    overall = visits.order_by().aggregate(**_census_counts(day, new_field="new_to_hospital"))
    rows = (
        visits.order_by().values("doctor__department_id", "doctor__department__name")
        .annotate(**_census_counts(day, new_field="new_to_department"))
        .order_by("doctor__department__name")
    )
    departments = [
        {"department_id": str(r["doctor__department_id"]) if r["doctor__department_id"] else None,
         "department": r["doctor__department__name"] or "No department", **_census_row(r)}
        for r in rows
    ]
    return _census_row(overall), departments


def daily_report(*, day: date, doctor_id=None, department_id=None) -> dict:
    """Every figure of one local day's report, for everyone or one doctor or one department.

    The keys date, doctor_id, total_tokens, by_category, by_status, emergencies, waiting_list,
    delays_set and doctors are those of the API's first version; the rest came with the report page.
    Durations are in seconds; rates are fractions (0.25 = 25%); None means "not enough data".
    """
    tokens = Token.objects.filter(day=day)
    waiting = WaitingListEntry.objects.filter(day=day)
    slots = Slot.objects.filter(start_time__date=day)
    events = QueueEvent.objects.filter(slot__start_time__date=day)
    if doctor_id:
        tokens, waiting = tokens.filter(doctor_id=doctor_id), waiting.filter(doctor_id=doctor_id)
        slots, events = slots.filter(doctor_id=doctor_id), events.filter(slot__doctor_id=doctor_id)
    if department_id:
        tokens = tokens.filter(doctor__department_id=department_id)
        waiting = waiting.filter(doctor__department_id=department_id)
        slots = slots.filter(doctor__department_id=department_id)
        events = events.filter(slot__doctor__department_id=department_id)

    open_slot = ~Q(status=Slot.Status.CANCELLED)
    slot_rows = {
        row.pop("doctor_id"): row
        for row in slots.order_by().values("doctor_id").annotate(
            slots=Count("pk", filter=open_slot),
            cancelled_slots=Count("pk", filter=~open_slot),
            capacity=Sum("max_capacity", filter=open_slot),
            delay_minutes=Sum("delay_minutes", filter=open_slot),
        )
    }
    token_rows = {
        row.pop("doctor_id"): row for row in tokens.order_by().values("doctor_id").annotate(**_token_counts())
    }
    waiting_rows = {
        row.pop("doctor_id"): row
        for row in waiting.order_by().values("doctor_id").annotate(
            total=Count("pk"),
            still_waiting=Count("pk", filter=Q(status=WaitingListEntry.Status.WAITING)),
            promoted=Count("pk", filter=Q(status=WaitingListEntry.Status.PROMOTED)),
        )
    }
    doctor_percentiles, overall_percentiles = _percentiles_by_doctor(tokens)
    doctor_errors, overall_error = _estimate_errors(tokens)
    doctor_ids = set(slot_rows) | set(token_rows) | set(waiting_rows)
    doctors = Doctor.objects.filter(pk__in=doctor_ids).select_related("department").order_by("name", "pk")

    def summed(rows: dict) -> dict:
        total: dict = defaultdict(int)
        for row in rows.values():
            for key, value in row.items():
                total[key] += value or 0
        return total

    all_tokens, all_slots, all_waiting = summed(token_rows), summed(slot_rows), summed(waiting_rows)
    census, census_departments = patient_census(tokens, day=day)
    per_doctor = []
    for doctor in doctors:
        row = token_rows.get(doctor.pk, {})
        per_doctor.append({
            "doctor_id": str(doctor.pk),
            "doctor_name": doctor.name,
            "department": doctor.department.name if doctor.department else "",
            "room": doctor.room,
            "total_tokens": row.get("total", 0),
            **{s.lower(): row.get(f"status_{s}", 0) for s in Status.values},
            "by_category": {c: row.get(f"category_{c}", 0) for c in categories.codes()},
            **_figures(row, slot_rows.get(doctor.pk, {}), waiting_rows.get(doctor.pk, {})),
            "times": _times(row, doctor_percentiles.get(doctor.pk, {})),
            "estimate_error": doctor_errors.get(doctor.pk, {"median_abs_error_minutes": None, "count": 0}),
        })

    return {
        "date": day.isoformat(),
        "doctor_id": str(doctor_id) if doctor_id else None,
        "department_id": str(department_id) if department_id else None,
        "time_zone": timezone.get_current_timezone_name(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "total_tokens": all_tokens["total"],
        "by_category": {c: all_tokens[f"category_{c}"] for c in categories.codes()},
        "by_status": {s: all_tokens[f"status_{s}"] for s in Status.values},
        "emergencies": all_tokens[f"category_{Category.EMERGENCY}"],
        "waiting_list": {k: all_waiting[k] for k in ("total", "still_waiting", "promoted")},
        "delays_set": events.filter(kind=QueueEvent.Kind.DELAY_SET).count(),
        "headline": _figures(all_tokens, all_slots, all_waiting),
        "times": _times(all_tokens, overall_percentiles),
        "estimate_error": overall_error,
        "hours": _hours(tokens),
        "doctors": per_doctor,
        "patients": census,
        "departments": census_departments,
    }


TOKEN_FIELDS = [
    "day", "doctor__name", "doctor__department__name", "doctor__room", "slot__start_time", "slot__end_time",
    "token_number", "token_label", "patient__name", "patient__hospital_number", "category", "status", "booked_at",
    "first_estimate", "arrived_at", "called_at", "completed_at", "cancelled_at", "no_show_at", "cancel_reason",
]


def day_tokens(*, day: date, doctor_id=None, department_id=None):
    """Every token of the day as a dict of TOKEN_FIELDS (one query), for the CSV download."""
    tokens = Token.objects.filter(day=day)
    if doctor_id:
        tokens = tokens.filter(doctor_id=doctor_id)
    if department_id:
        tokens = tokens.filter(doctor__department_id=department_id)
    tokens = with_visit_kind(tokens)
    return tokens.order_by("doctor__name", "doctor_id", "token_number").values(*TOKEN_FIELDS, "new_to_hospital", "new_to_department")
