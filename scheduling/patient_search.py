"""Finding a patient from one search box, tolerant of spelling.

- An ABHA number (14 digits, any spacing or dashes) or an ABHA address (name@abdm): exact.
- Digits: the phone (exact on the last 10 digits, or a part of it while still typing) or the UHID;
  letters and digits ("CGH/26/0012"): the UHID.
- Words: the name, father's/husband's name and village, by trigram word similarity on
  PostgreSQL (pg_trgm, a GiST index from migration 0007, nearest first), so "Raju Parsad" finds "Raju Prasad". Other
  databases (SQLite, the no-configuration default), and a PostgreSQL without pg_trgm (pgserver's
  embedded one), take a simpler road: rows sharing a word's first letters, ranked in Python by
  difflib's similarity ratio. It forgives misspellings too, but ranks up to FALLBACK_CANDIDATES
  rows in Python per search: slower on a big registry.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from django.db import connections
from django.db.models import Case, FloatField, IntegerField, Q, QuerySet, Value, When

from scheduling import identity

TEXT_FIELDS = ("name", "guardian_name", "locality")
# pg_trgm's word similarity a row must reach. Its default, 0.6, misses one swapped pair of
# letters in a two-word name ("Raju Parsad" is 0.5 alike to "Raju Prasad"); at 0.45 the same
# first name with another surname (0.42 for "Raju Kumar") still stays out.
WORD_SIMILARITY = 0.45
OTHER_FIELD_WEIGHT = 0.8  # a match on the father's name or village ranks below one on the name
FALLBACK_CANDIDATES = 500
FALLBACK_MIN_RATIO = 0.6


def search_patients(queryset: QuerySet, text: str, *, fuzzy: str | None = None) -> QuerySet:
    """The patients matching `text`, best first. `fuzzy` picks the free-text matcher: "trigram"
    (PostgreSQL with pg_trgm) or "fallback"; by default the database's own."""
    value = " ".join((text or "").split())[:100]
    if not value:
        return queryset.none()
    if identity.looks_like_abha_number(value):
        return queryset.filter(abha_number=identity.format_abha_number(value))
    if "@" in value:  # stored in lower case (scheduling.identity.normalise_abha_address)
        return queryset.filter(abha_address=value.lower())
    # Exact matches use the unique b-tree indexes; PostgreSQL's iexact (UPPER()) would not.
    by_number = Q(hospital_number=value) | Q(hospital_number=value.upper())
    digits = re.sub(r"[\s+-]", "", value)
    if digits.isdigit():
        return queryset.filter(_phone_match(digits) | by_number).order_by("name")
    if any(c.isdigit() for c in value):  # names have no digits: a UHID such as "CGH/26/0012"
        return queryset.filter(by_number | Q(hospital_number__istartswith=value)).order_by("hospital_number")
    fuzzy = fuzzy or ("trigram" if has_trigram(queryset.db) else "fallback")
    if fuzzy == "trigram":
        return _trigram_search(queryset, value)
    return _fallback_search(queryset, value)


_has_trigram: dict[tuple, bool] = {}


def has_trigram(alias: str) -> bool:
    """Whether the database has pg_trgm (migration 0007 installs it where PostgreSQL ships it).
    Asked once per database a process uses, not per search: extensions come with migrate, which
    runs before the processes start."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return False
    database = tuple(connection.settings_dict.get(key) for key in ("HOST", "PORT", "NAME"))
    if database not in _has_trigram:
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")
            _has_trigram[database] = cursor.fetchone()[0]
    return _has_trigram[database]


def _phone_match(digits: str) -> Q:
    """A whole number (10 digits or more) matches its stored forms exactly (b-tree index); fewer
    digits, typed so far, match inside phones (the trigram index on PostgreSQL)."""
    if len(digits) < 10:
        return Q(phone__contains=digits)
    local = digits[-10:]
    return Q(phone__in=[digits, local, f"+91{local}", f"91{local}", f"0{local}"])


def _trigram_search(queryset, value):
    """The query's words against search_text (name, father's name and village) by pg_trgm's
    word similarity, nearest first through the GiST index (migration 0007), which stops after
    the rows asked for. `rank` is the word similarity (0 to 1); equally near rows come in no
    particular order (a father's name can be as near as a patient's own)."""
    from django.contrib.postgres.search import TrigramWordDistance

    query = value.lower()
    with connections[queryset.db].cursor() as cursor:  # the session's threshold for %> (see WORD_SIMILARITY)
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)", [str(WORD_SIMILARITY)])
    distance = TrigramWordDistance(query, "search_text")
    return (
        queryset.filter(search_text__trigram_word_similar=query)
        .annotate(rank=Value(1.0) - distance)
        .order_by(distance)  # the distance alone: a second key would make PostgreSQL sort every match
    )


def similarity(query: str, text: str) -> float:
    """How alike a query is to a field, 0 to 1: the best difflib ratio of the query against the
    whole text or any run of as many words (so "Raju" is alike to "Raju Prasad")."""
    query_words, words = _words(query), _words(text)
    if not query_words or not words:
        return 0.0
    query, n = " ".join(query_words), len(query_words)
    runs = {" ".join(words[i:i + n]) for i in range(max(1, len(words) - n + 1))} | {" ".join(words)}
    return max(difflib.SequenceMatcher(None, query, run).ratio() for run in runs)


def _words(text: str) -> list[str]:
    """The words of a text, in lower case. Punctuation and symbols part words as they do for
    pg_trgm ("<b>Raju</b>", "Ram-Prasad"); marks (Devanagari's vowel signs) stay in theirs."""
    return "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text.lower()).split()


def _fallback_search(queryset, value):
    near = Q(pk__in=[])
    for word in _words(value):
        for field in TEXT_FIELDS:
            near |= Q(**{f"{field}__icontains": word[:3]})
    scored = []
    for patient in queryset.filter(near)[:FALLBACK_CANDIDATES]:
        score = max(
            similarity(value, patient.name),
            *(similarity(value, getattr(patient, f)) * OTHER_FIELD_WEIGHT for f in TEXT_FIELDS[1:]),
        )
        if score >= FALLBACK_MIN_RATIO:
            patient.rank = score
            scored.append(patient)
    ranked = sorted(scored, key=lambda p: (-p.rank, p.name))
    order = Case(*[When(pk=p.pk, then=Value(i)) for i, p in enumerate(ranked)], output_field=IntegerField())
    rank = Case(*[When(pk=p.pk, then=Value(p.rank)) for p in ranked], output_field=FloatField())
    return queryset.filter(pk__in=[p.pk for p in ranked]).annotate(rank=rank).order_by(order)

