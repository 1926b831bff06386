"""Spelling-tolerant patient search: pg_trgm on PostgreSQL, the difflib fallback elsewhere
(and on a PostgreSQL without pg_trgm: tests/integration/test_search_without_pg_trgm.py)."""

import pytest

from scheduling.models import Patient
from scheduling.patient_search import has_trigram, search_patients, similarity


@pytest.fixture(params=[pytest.param("trigram", marks=pytest.mark.postgresql), "fallback"])
def fuzzy(request, db):
    if request.param == "trigram" and not has_trigram("default"):
        pytest.skip("this PostgreSQL has no pg_trgm (pgserver's): only the fallback can run")
    return request.param


@pytest.fixture
def registry(db):
    people = [
        dict(name="Raju Prasad", phone="9812345678", guardian_name="Ram Prasad", locality="Rampur", hospital_number="2026000001"),
        dict(name="Sunita Devi", phone="9812345678", guardian_name="Raju Prasad", locality="Sitapur", hospital_number="2026000002"),
        dict(name="Mohan Lal", phone="9700000001", guardian_name="Shyam Lal", locality="Bhagalpur", hospital_number="2026000003",
             abha_number="91-1234-5678-9012", abha_address="mohan.lal@abdm"),
        dict(name="Geeta Kumari", phone="9600000002", guardian_name="Suresh Yadav", locality="Rampur", hospital_number="2026000004"),
    ]
    return {p["name"]: Patient.objects.create(**p) for p in people}


def names(found):
    return [p.name for p in found]


def best(found):
    """The names among the nearest matches (equally near rows come in no set order)."""
    found = list(found)
    return {p.name for p in found if p.rank == found[0].rank}


def test_a_misspelt_name_finds_the_patient_among_the_nearest(registry, fuzzy):
    # Sunita Devi's husband is Raju Prasad: as near to "Raju Parsad" as Raju Prasad himself.
    assert best(search_patients(Patient.objects.all(), "Raju Parsad", fuzzy=fuzzy)) <= {"Raju Prasad", "Sunita Devi"}
    assert "Raju Prasad" in best(search_patients(Patient.objects.all(), "Raju Parsad", fuzzy=fuzzy))
    assert best(search_patients(Patient.objects.all(), "sunita devii", fuzzy=fuzzy)) == {"Sunita Devi"}


def test_the_fathers_name_and_the_village_find_the_patient(registry, fuzzy):
    assert "Mohan Lal" in names(search_patients(Patient.objects.all(), "Shyam Lal", fuzzy=fuzzy))
    found = names(search_patients(Patient.objects.all(), "Rampur", fuzzy=fuzzy))
    assert set(found) >= {"Raju Prasad", "Geeta Kumari"} and "Mohan Lal" not in found


def test_a_name_nobody_resembles_finds_nobody(registry, fuzzy):
    assert names(search_patients(Patient.objects.all(), "Xavier Fernandes", fuzzy=fuzzy)) == []


def test_phone_uhid_and_abha_are_matched_exactly(registry):
    everyone = Patient.objects.all()
    assert set(names(search_patients(everyone, "+91 98123 45678"))) == {"Raju Prasad", "Sunita Devi"}
    assert names(search_patients(everyone, "2026000003")) == ["Mohan Lal"]
    assert names(search_patients(everyone, "91 1234 5678 9012")) == ["Mohan Lal"]
    assert names(search_patients(everyone, "91123456789012")) == ["Mohan Lal"]
    assert names(search_patients(everyone, "Mohan.Lal@abdm")) == ["Mohan Lal"]
    assert names(search_patients(everyone, "91-1234-5678-9013")) == []


def test_postgresql_searches_by_trigram_when_it_has_pg_trgm_and_by_the_fallback_when_not(registry):
    found = search_patients(Patient.objects.all(), "Raju Parsad")
    assert ("<<->" in str(found.query)) is has_trigram("default")
    assert "Raju Prasad" in best(found) and found[0].rank >= 0.45


def test_similarity_compares_the_query_with_the_best_run_of_words():
    assert similarity("raju", "Raju Prasad") == 1.0
    assert similarity("raju parsad", "Raju Prasad") > 0.8
    assert similarity("xavier", "Raju Prasad") < 0.5
    assert similarity("raju", "") == 0.0


def test_similarity_parts_words_at_punctuation_as_pg_trgm_does():
    assert similarity("ram prasad", "Ram-Prasad") == 1.0
    assert similarity("script", "<script>alert(1)</script>") == 1.0
    assert similarity("सुनीता", "सुनीता देवी") == 1.0  # vowel signs stay inside the word
