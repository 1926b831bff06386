"""Patient categories are rows of queues.Category (hospital data). Lookups for labels are
cached per process for a short while (Category.by_code); bookings always read the row itself."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from queues.errors import InvalidRequest
from queues.models import Category


def all_by_code() -> dict[str, Category]:
    """Every category, active or not, by code (cached for a short while: Category.by_code)."""
    return Category.by_code()


def label(code: str, language: str = "en") -> str:
    return Category.label(code, language)


def codes() -> list[str]:
    """Every category's code in display order (reports count each)."""
    return list(all_by_code())


def desk_choices() -> list[tuple[str, str]]:
    """What the desk books with its category keys: active categories but EMERGENCY, which has
    its own deliberate action."""
    return [(c.code, c.name) for c in all_by_code().values() if c.active and c.code != Category.EMERGENCY]


def bookable(code) -> Category:
    """The active category with this code, or a refusal that says which codes are accepted.
    An active category is taken from the label cache (switching one off reaches every web
    process within Category.LABELS_SECONDS); anything else is read from the database, so a
    category switched on is bookable at once."""
    cached = all_by_code().get(code) if isinstance(code, str) else None
    if cached is not None and cached.active:
        return cached
    category = Category.objects.filter(code=code, active=True).first() if isinstance(code, str) else None
    if category is None:
        accepted = ", ".join(Category.objects.filter(active=True).values_list("code", flat=True))
        raise InvalidRequest(f"Unknown or inactive category {code!r}; choose one of {accepted}.", field="category")
    return category


@receiver([post_save, post_delete], sender=Category)
def _forget(**kwargs):
    Category.forget_labels()
