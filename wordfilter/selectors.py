from django.db.models import QuerySet

from wordfilter.models import FilterListVersion, FilterWord


def word_list() -> QuerySet[FilterWord]:
    return FilterWord.objects.order_by("word")


def word_keys() -> list[str]:
    return list(FilterWord.objects.values_list("word", flat=True))


def list_version() -> int:
    """The list's version: 0 before its first change."""
    return FilterListVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
