"""Finding a patient from one search box, tolerant of spelling.

- An ABHA number (14 digits, any spacing or dashes) or an ABHA address (name@abdm): exact.
- Digits: the phone (exact on the last 10 digits, or a part of it while still typing) or the UHID.
- Words: the name, father's/husband's name and village, by trigram similarity on PostgreSQL
  (pg_trgm, GIN indexes from migration 0005), so "Raju Parsad" finds "Raju Prasad". Other
  databases (SQLite, the no-configuration default) take a simpler road: rows sharing a word's
  first letters, ranked in Python by difflib's similarity ratio.
"""

from __future__ import annotations

import difflib
import re

from django.db import connections
from django.db.models import Case, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest

from scheduling import identity

TEXT_FIELDS = ("name", "guardian_name", "locality")
OTHER_FIELD_WEIGHT = 0.8  # a match on the father's name or village ranks below one on the name
FALLBACK_CANDIDATES = 500
FALLBACK_MIN_RATIO = 0.6


def search_patients(queryset: QuerySet, text: str, *, fuzzy: str | None = None) -> QuerySet:
    """The patients matching `text`, best first. `fuzzy` picks the free-text matcher: "trigram"
    (PostgreSQL) or "fallback"; by default the database's own."""
    value = " ".join((text or "").split())[:100]
    if not value:
        return queryset.none()
    if identity.looks_like_abha_number(value):
        return queryset.filter(abha_number=identity.format_abha_number(value))
    if "@" in value:
        return queryset.filter(abha_address__iexact=value.lower())
    digits = re.sub(r"[\s+-]", "", value)
    by_number = Q(hospital_number__iexact=value) | Q(hospital_number__istartswith=value)
    if digits.isdigit():
        phone = Q(phone__endswith=digits[-10:]) if len(digits) >= 10 else Q(phone__contains=digits)
        return queryset.filter(phone | by_number).order_by("name")
    fuzzy = fuzzy or ("trigram" if connections[queryset.db].vendor == "postgresql" else "fallback")
    if fuzzy == "trigram":
        return _trigram_search(queryset, value, by_number)
    return _fallback_search(queryset, value, by_number)


def _trigram_search(queryset, value, by_number):
    from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity

    match = by_number | Q(name__icontains=value) | Q(name__trigram_similar=value)
    for field in TEXT_FIELDS:
        match |= Q(**{f"{field}__trigram_word_similar": value})
    rank = Greatest(
        TrigramSimilarity("name", value),
        TrigramWordSimilarity(value, "name"),
        *(TrigramWordSimilarity(value, field) * Value(OTHER_FIELD_WEIGHT) for field in TEXT_FIELDS[1:]),
        output_field=FloatField(),
    )
    return queryset.filter(match).annotate(rank=rank).order_by("-rank", "name", "pk")


def similarity(query: str, text: str) -> float:
    """How alike a query is to a field, 0 to 1: the best difflib ratio of the query against the
    whole text or any run of as many words (so "Raju" is alike to "Raju Prasad")."""
    query, words = query.lower(), text.lower().split()
    if not words:
        return 0.0
    n = len(query.split())
    runs = {" ".join(words[i:i + n]) for i in range(max(1, len(words) - n + 1))} | {" ".join(words)}
    return max(difflib.SequenceMatcher(None, query, run).ratio() for run in runs)


def _fallback_search(queryset, value, by_number):
    near = by_number
    for word in value.split():
        for field in TEXT_FIELDS:
            near |= Q(**{f"{field}__icontains": word[:3]})
    scored = []
    for patient in queryset.filter(near)[:FALLBACK_CANDIDATES]:
        score = max(
            similarity(value, patient.name),
            *(similarity(value, getattr(patient, f)) * OTHER_FIELD_WEIGHT for f in TEXT_FIELDS[1:]),
            1.0 if (patient.hospital_number or "").lower().startswith(value.lower()) else 0.0,
        )
        if score >= FALLBACK_MIN_RATIO:
            patient.rank = score
            scored.append(patient)
    ranked = sorted(scored, key=lambda p: (-p.rank, p.name))
    order = Case(*[When(pk=p.pk, then=Value(i)) for i, p in enumerate(ranked)], output_field=IntegerField())
    return queryset.filter(pk__in=[p.pk for p in ranked]).order_by(order)

