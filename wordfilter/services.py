"""Changes to the word list: each raises the list's version in its own transaction, so every
server process sees the change at its next look (``cache``, at most a second later)."""

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User
from gameplatform.core.errors import Conflict, NotFound
from gameplatform.http import serializers
from staff import audit
from wordfilter import cache
from wordfilter.matching import MAX_WORD, MIN_WORD, word_key
from wordfilter.models import FilterListVersion, FilterWord


def _version_raise() -> None:
    FilterListVersion.objects.get_or_create(pk=1)
    FilterListVersion.objects.filter(pk=1).update(version=F("version") + 1)
    transaction.on_commit(cache.expire)  # this process at once; the others within CHECK_SECONDS


@transaction.atomic
def word_add(*, staff: User | None, word: str) -> FilterWord:
    """Add ``word`` to the list as it matches (``matching.word_key``); 409 ``word_exists`` when
    the list holds it already, in any spelling."""
    key = word_key(word)
    if not key:
        raise serializers.ValidationError(
            {"word": [f"One word of {MIN_WORD} to {MAX_WORD} Latin letters (digits and look-alikes count as letters)."]}
        )
    try:
        with transaction.atomic():
            added = FilterWord.objects.create(word=key, created_by=staff)
    except IntegrityError:
        raise Conflict(f"The list holds {key!r} already.", code="word_exists") from None
    _version_raise()
    audit.record(staff=staff, action="word.add", target_type="word", target_id=added.pk, target=added.word)
    return added


@transaction.atomic
def word_remove(*, staff: User | None, word_id: int) -> None:
    word = FilterWord.objects.select_for_update().filter(pk=word_id).first()
    if word is None:
        raise NotFound("No such word in the list.", code="word_not_found")
    word.delete()
    _version_raise()
    audit.record(staff=staff, action="word.remove", target_type="word", target_id=word_id, target=word.word)
