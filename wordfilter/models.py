from django.conf import settings
from django.db import models


class FilterWord(models.Model):
    """A word of the filter's list, held as it matches: its letters normalised
    (``matching.word_key``: "H3LL0" is "hello"), so the list holds a word once whatever its case
    or spelling, and the database refuses a second."""

    word = models.CharField(max_length=50, unique=True, help_text="Lower-case letters a-z, normalised.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["word"]
        constraints = [
            models.CheckConstraint(condition=models.Q(word__regex=r"^[a-z]{2,50}$"), name="wordfilter_word_letters"),
        ]

    def __str__(self) -> str:
        return self.word


class FilterListVersion(models.Model):
    """One row: a counter raised in the transaction of every change to the list, which each
    server process reads at most once a second to know whether its compiled list is stale."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"word list version {self.version}"
