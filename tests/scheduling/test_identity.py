"""ABHA numbers and addresses as typed at the counter, and the UHID pattern."""

from datetime import date

import pytest

from scheduling import identity


@pytest.mark.parametrize("typed", ["91123456789012", "91-1234-5678-9012", "91 1234 5678 9012", " 9112-3456-7890-12 "])
def test_an_abha_number_is_stored_as_abha_shows_it(typed):
    assert identity.format_abha_number(typed) == "91-1234-5678-9012"


@pytest.mark.parametrize("typed", ["9112345678901", "911234567890123", "91-1234-5678-901X", "", "abcd"])
def test_an_abha_number_without_14_digits_is_refused_with_an_example(typed):
    with pytest.raises(identity.InvalidIdentifier, match="14 digits, e.g. 91-1234-5678-9012"):
        identity.format_abha_number(typed)


@pytest.mark.parametrize("typed,stored", [
    ("Raju.Prasad@abdm", "raju.prasad@abdm"), ("raju_1990@sbx", "raju_1990@sbx"), ("91123456789012@abdm", "91123456789012@abdm"),
])
def test_an_abha_address_is_kept_in_lower_case(typed, stored):
    assert identity.normalise_abha_address(typed) == stored


@pytest.mark.parametrize("typed", ["raju@gmail.com", "raju", "abc@abdm", "1raju@abdm", ".raju@abdm", "raju.@abdm", "ra..ju@abdm", "@abdm"])
def test_an_abha_address_that_abdm_would_not_issue_is_refused(typed):
    with pytest.raises(identity.InvalidIdentifier, match="name@abdm"):
        identity.normalise_abha_address(typed)


def test_the_uhid_pattern_counts_per_year_and_pads_the_number():
    day = date(2026, 12, 3)
    assert identity.render_uhid("{year}{seq:06d}", seq=42, today=day) == "2026000042"
    assert identity.render_uhid("CGH/{yy}/{month}/{seq:04d}", seq=7, today=day) == "CGH/26/12/0007"
    assert identity.uhid_series("{year}{seq:06d}", today=day) == "2026{seq}"
    assert identity.uhid_series("{year}{seq:06d}", today=date(2027, 1, 1)) == "2027{seq}"
    assert identity.uhid_series("H{seq}", today=day) == identity.uhid_series("H{seq}", today=date(2030, 1, 1))


@pytest.mark.parametrize("pattern,reason", [("{year}", "exactly once"), ("{seq}{seq}", "exactly once"), ("{day}{seq}", "only")])
def test_a_uhid_pattern_without_one_seq_or_with_unknown_fields_is_refused(pattern, reason):
    with pytest.raises(ValueError, match=reason):
        identity.check_uhid_pattern(pattern)
