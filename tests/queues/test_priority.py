"""The pure queue rules, on plain values."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from queues import priority

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@dataclass
class Item:
    category: str
    booked_at: datetime
    status: str = "CONFIRMED"
    token_number: int = 0
    called_at: datetime | None = None


@pytest.mark.parametrize(
    "category, base", [("EMERGENCY", 1), ("PRIORITY_PAID", 2), ("FOLLOWUP", 3), ("ONLINE", 4), ("WALKIN", 5)]
)
def test_each_category_has_its_base_priority(category, base):
    assert priority.base_priority(category) == base
    assert priority.priority_score(category, T0, T0) == base


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
    assert priority.priority_score("ONLINE", T0, now) == pytest.approx(3.8)
    assert priority.priority_score("ONLINE", now - timedelta(minutes=30), now) == pytest.approx(3.95)


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


def test_estimated_time_is_start_plus_delay_plus_consultations_ahead():
    consultation = priority.consultation_length(T0, T0 + timedelta(hours=1), 15)
    assert consultation == timedelta(minutes=4)
    assert priority.estimated_time(start=T0, effective_delay_minutes=0, position=1, consultation=consultation) == T0
    assert priority.estimated_time(
        start=T0, effective_delay_minutes=30, position=4, consultation=consultation
    ) == T0 + timedelta(minutes=42)


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
