"""The pure queue rules, on plain values."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from queues import priority

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


BASE = {"EMERGENCY": 1, "PRIORITY_PAID": 2, "FOLLOWUP": 3, "ONLINE": 4, "WALKIN": 5}


@dataclass(eq=False)
class Item:
    category: str
    booked_at: datetime
    status: str = "CONFIRMED"
    token_number: int = 0
    called_at: datetime | None = None
    slot_start: datetime = T0
    id: int = 0
    behind_id: int | None = None
    requeued_at: datetime | None = None
    step: timedelta = timedelta(minutes=5)

    @property
    def priority(self):
        return BASE[self.category]

    def __repr__(self):
        return f"#{self.token_number}"


def day(items, now):
    return priority.day_order(items, now, slot_start=lambda i: i.slot_start)


def test_the_score_is_the_base_priority_less_the_bonus():
    assert priority.priority_score(3, T0, T0) == 3
    assert priority.priority_score(3, T0, T0 + timedelta(hours=5)) == pytest.approx(2.5)


@pytest.mark.parametrize(
    "waited, bonus",
    [
        (timedelta(0), 0.0),
        (timedelta(minutes=30), 0.05),
        (timedelta(hours=2), 0.2),
        (timedelta(hours=9, minutes=59), 0.99833),
        (timedelta(hours=10), 1.0),
        (timedelta(days=3), 1.0),
    ],
)
def test_the_waiting_bonus_is_a_tenth_per_hour_capped_at_one(waited, bonus):
    assert priority.waiting_bonus(T0, T0 + waited) == pytest.approx(bonus, abs=1e-5)


def test_a_booking_dated_in_the_future_earns_no_bonus():
    assert priority.waiting_bonus(T0 + timedelta(hours=1), T0) == 0.0


def test_the_seed_readme_example_scores():
    now = T0 + timedelta(hours=2)
    assert priority.priority_score(BASE["ONLINE"], T0, now) == pytest.approx(3.8)
    assert priority.priority_score(BASE["ONLINE"], now - timedelta(minutes=30), now) == pytest.approx(3.95)


def test_lower_score_is_served_first():
    now = T0 + timedelta(hours=1)
    walkin = Item("WALKIN", T0, token_number=1)
    followup = Item("FOLLOWUP", now, token_number=2)
    paid = Item("PRIORITY_PAID", now, token_number=3)
    assert priority.serving_order([walkin, followup, paid], now) == [paid, followup, walkin]


def test_an_earlier_booking_of_the_same_category_goes_first():
    now = T0 + timedelta(hours=3)
    early = Item("ONLINE", T0 + timedelta(hours=1), token_number=2)
    late = Item("ONLINE", T0 + timedelta(hours=2), token_number=1)
    assert priority.serving_order([late, early], now) == [early, late]


def test_a_long_wait_can_overtake_a_better_category():
    # A walk-in booked 10 h ago scores 4.0; an online booking made 1 h ago scores 3.9.
    now = T0 + timedelta(hours=10)
    walkin = Item("WALKIN", T0, token_number=1)
    online = Item("ONLINE", now - timedelta(hours=1), token_number=2)
    assert priority.serving_order([walkin, online], now) == [online, walkin]
    # ... but not a fresh online booking: 4.0 against 4.0, the earlier booking wins the tie.
    fresh = Item("ONLINE", now, token_number=3)
    assert priority.serving_order([fresh, walkin], now) == [walkin, fresh]


def test_ties_fall_to_the_lower_token_number():
    a = Item("WALKIN", T0, token_number=7)
    b = Item("WALKIN", T0, token_number=3)
    assert priority.serving_order([a, b], T0) == [b, a]


def test_an_emergency_beats_even_a_fully_waited_priority_patient():
    # PRIORITY_PAID booked 10 h ago scores 1.0, as does an emergency booked now.
    now = T0 + timedelta(hours=10)
    paid = Item("PRIORITY_PAID", T0, token_number=1)
    emergency = Item("EMERGENCY", now, token_number=2)
    assert priority.serving_order([paid, emergency], now) == [emergency, paid]


def test_the_patient_with_the_doctor_stays_first():
    now = T0 + timedelta(minutes=20)
    called = Item("WALKIN", T0, status="CALLED", token_number=1, called_at=now)
    emergency = Item("EMERGENCY", now, token_number=2)
    assert priority.serving_order([emergency, called], now) == [called, emergency]


# --- the doctor's day order -----------------------------------------------------------------

TEN, ELEVEN, FIVE_PM = T0.replace(hour=10), T0.replace(hour=11), T0.replace(hour=17)


def test_the_day_goes_slot_by_slot_then_by_score():
    now = TEN
    later_paid = Item("PRIORITY_PAID", now, token_number=1, slot_start=ELEVEN, id=1)
    walkin = Item("WALKIN", now - timedelta(hours=1), token_number=2, slot_start=TEN, id=2)
    online = Item("ONLINE", now, token_number=3, slot_start=TEN, id=3)
    assert day([later_paid, walkin, online], now) == [online, walkin, later_paid]


def test_the_patient_with_the_doctor_then_emergencies_of_any_slot_lead_the_day():
    now = ELEVEN
    called = Item("WALKIN", T0, status="CALLED", token_number=1, called_at=now, slot_start=TEN, id=1)
    early = Item("PRIORITY_PAID", T0, status="ARRIVED", token_number=2, slot_start=TEN, id=2)
    emergency = Item("EMERGENCY", now, status="ARRIVED", token_number=3, slot_start=FIVE_PM, id=3)
    assert day([early, emergency, called], now) == [called, emergency, early]


def test_call_next_takes_the_first_present_patient_even_of_a_later_slot():
    now = TEN
    absent = [Item("WALKIN", T0, token_number=n, slot_start=TEN, id=n) for n in (1, 2, 3)]
    later = Item("WALKIN", T0, status="ARRIVED", token_number=4, slot_start=ELEVEN, id=4)
    order = day([*absent, later], now)
    assert order[:3] == absent  # the expected keep their place ...
    assert priority.next_to_call(order) is later  # ... but never hold up a present patient
    assert [i for i in order if priority.is_present(i)] == [later]


def test_nobody_present_means_nobody_to_call():
    order = day([Item("ONLINE", T0, id=1), Item("WALKIN", T0, status="CALLED", id=2)], TEN)
    assert priority.next_to_call(order) is None


def test_a_skipped_patient_goes_behind_the_next_present_patient_not_back_to_their_place():
    now = TEN
    skipped = Item("PRIORITY_PAID", T0, status="ARRIVED", token_number=1, id=1)
    expected = Item("ONLINE", T0, token_number=2, id=2)
    b = Item("WALKIN", T0, status="ARRIVED", token_number=3, id=3)
    c = Item("WALKIN", T0, status="ARRIVED", token_number=4, id=4)
    anchor = priority.skip_anchor(day([skipped, expected, b, c], now), skipped)
    assert anchor is b
    skipped.behind_id, skipped.requeued_at = b.id, now
    order = day([skipped, expected, b, c], now)
    assert order == [expected, b, skipped, c]
    assert priority.next_to_call(order) is b  # S then N calls someone else
    b.status, b.called_at = "CALLED", now  # once b is with the doctor, the skipped patient is next
    assert priority.next_to_call(day([skipped, expected, b, c], now)) is skipped


def test_a_skipped_patient_whose_anchor_has_left_returns_to_their_own_place():
    skipped = Item("PRIORITY_PAID", T0, status="ARRIVED", token_number=1, id=1, behind_id=99, requeued_at=T0)
    other = Item("WALKIN", T0, status="ARRIVED", token_number=2, id=2)
    assert day([other, skipped], TEN) == [skipped, other]


def test_a_late_arrival_joins_the_end_of_the_present_queue():
    now = ELEVEN
    late = Item("PRIORITY_PAID", T0, status="ARRIVED", token_number=1, slot_start=T0, id=1)
    a = Item("WALKIN", T0, status="ARRIVED", token_number=2, slot_start=TEN, id=2)
    b = Item("WALKIN", T0, status="ARRIVED", token_number=3, slot_start=ELEVEN, id=3)
    expected = Item("WALKIN", T0, token_number=4, slot_start=FIVE_PM, id=4)
    items = [late, a, b, expected]
    anchor = priority.end_of_present_queue(day(items, now), late)
    assert anchor is b
    late.behind_id, late.requeued_at = anchor.id, now
    assert day(items, now) == [a, b, late, expected]


def test_a_reinstated_patient_with_nobody_present_is_next():
    joining = Item("WALKIN", T0, status="ARRIVED", id=1)
    assert priority.end_of_present_queue([joining, Item("ONLINE", T0, id=2)], joining) is None


# --- estimated times -------------------------------------------------------------------------

STEP = timedelta(minutes=5)


def estimates(order, now):
    return priority.estimated_times(order, now=now, start_of=lambda i: i.slot_start, step_of=lambda i: i.step)


def test_estimates_step_by_the_consultation_time_over_present_and_expected_patients():
    items = [Item("WALKIN", T0, status=s, token_number=n, id=n) for n, s in enumerate(["ARRIVED", "CONFIRMED", "ARRIVED"])]
    assert estimates(items, T0) == [T0, T0 + STEP, T0 + 2 * STEP]


def test_an_estimate_is_never_earlier_than_now():
    # A slot that began at 9:00, read at 10:42: the first patient is due now, not at 9:00.
    now = T0.replace(hour=10, minute=42)
    items = [Item("WALKIN", T0, id=n) for n in range(3)]
    times = estimates(items, now)
    assert times == [now, now + STEP, now + 2 * STEP]
    assert all(t >= now for t in times)


def test_nobody_is_estimated_before_their_slot_starts():
    now = TEN
    early = Item("WALKIN", T0, slot_start=TEN, id=1)
    evening = Item("WALKIN", T0, slot_start=FIVE_PM, id=2)
    assert estimates([early, evening], now) == [TEN, FIVE_PM]


def test_the_patient_with_the_doctor_delays_the_next_by_the_rest_of_their_consultation():
    now = TEN
    called = Item("WALKIN", T0, status="CALLED", called_at=now - timedelta(minutes=2), id=1)
    waiting = Item("WALKIN", T0, status="ARRIVED", id=2)
    assert estimates([called, waiting], now) == [None, now + timedelta(minutes=3)]


def test_the_measured_pace_is_the_median_of_recent_consultations_once_there_are_enough():
    few = [timedelta(minutes=m) for m in (3, 4, 30, 5)]
    assert priority.measured_pace(few) is None
    assert priority.measured_pace([*few, timedelta(minutes=6)]) == timedelta(minutes=5)


def test_a_wait_is_whole_minutes_rounded_up():
    assert priority.wait_minutes(TEN + timedelta(seconds=61), TEN) == 2
    assert priority.wait_minutes(TEN, TEN) == 0
    assert priority.wait_minutes(None, TEN) is None


def test_the_estimate_error_is_the_median_absolute_difference_in_minutes():
    pairs = [(TEN, TEN + timedelta(minutes=4)), (TEN, TEN - timedelta(minutes=10)), (TEN, TEN + timedelta(minutes=1))]
    assert priority.median_absolute_error_minutes(pairs) == 4.0
    assert priority.median_absolute_error_minutes([]) is None


def _slots(*hours):
    return [
        priority.SlotTimes(i, T0.replace(hour=start), T0.replace(hour=end), 0) for i, (start, end) in enumerate(hours)
    ]


def _with_delay(slots, index, minutes):
    s = slots[index]
    slots[index] = priority.SlotTimes(s.id, s.start, s.end, minutes)
    return slots


def test_a_delay_moves_later_slots_less_any_gap_between_them():
    # The example: slots 9-10, 10-11, 12-13.
    slots = _slots((9, 10), (10, 11), (12, 13))
    assert priority.cascade_delays(_with_delay(list(slots), 0, 30)) == {0: 30, 1: 30, 2: 0}
    assert priority.cascade_delays(_with_delay(list(slots), 0, 90)) == {0: 90, 1: 90, 2: 30}


def test_no_delay_moves_nothing():
    assert priority.cascade_delays(_slots((9, 10), (10, 11))) == {0: 0, 1: 0}


def test_a_later_slots_own_delay_adds_to_nothing_earlier():
    slots = _with_delay(_slots((9, 10), (10, 11), (11, 12)), 1, 20)
    assert priority.cascade_delays(slots) == {0: 0, 1: 20, 2: 20}


def test_the_larger_of_own_and_inherited_delay_applies():
    slots = _with_delay(_with_delay(_slots((9, 10), (10, 11)), 0, 30), 1, 45)
    assert priority.cascade_delays(slots) == {0: 30, 1: 45}
    slots = _with_delay(_with_delay(_slots((9, 10), (10, 11)), 0, 30), 1, 10)
    assert priority.cascade_delays(slots) == {0: 30, 1: 30}


def test_cascade_does_not_depend_on_input_order():
    slots = _with_delay(_slots((9, 10), (10, 11), (12, 13)), 0, 90)
    assert priority.cascade_delays(list(reversed(slots))) == {0: 90, 1: 90, 2: 30}


def test_a_delay_carried_over_seconds_apart_still_counts_whole_minutes():
    start = T0.replace(second=30)
    slots = [
        priority.SlotTimes(0, start, start + timedelta(hours=1), 25),
        priority.SlotTimes(1, start + timedelta(hours=1, seconds=1), start + timedelta(hours=2), 0),
    ]
    assert priority.cascade_delays(slots) == {0: 25, 1: 25}


def test_an_overdue_expected_patient_delays_nobody():
    now = TEN
    overdue = Item("WALKIN", T0, id=1)
    here = Item("WALKIN", T0, status="ARRIVED", id=2)
    times = priority.estimated_times([overdue, here], now=now, start_of=lambda i: i.slot_start,
                                     step_of=lambda i: i.step, overdue=lambda i: i is overdue)
    assert times == [None, now]
