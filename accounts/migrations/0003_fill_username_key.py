"""Fill ``username_key`` (NFKC, case folded) for the accounts that exist.

An older database may hold look-alike names (``user_1`` and ``USER_1``): the oldest
account (lowest id) gets the plain key, each later one the key suffixed with
``#<id>`` (``#`` is outside the characters a username may hold, so no new name can
take it). Nothing fails and no account is renamed; the later look-alikes still log
in by their exact name.
"""

import unicodedata

from django.db import migrations

MAX_LENGTH = 255


def key_of(username: str) -> str:
    # A copy of accounts.models.username_key as it is when this migration is written.
    return unicodedata.normalize("NFKC", username).casefold()[:MAX_LENGTH]


def fill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set()
    for pk, username in User.objects.order_by("pk").values_list("pk", "username").iterator():
        key = key_of(username)
        if key in taken:
            suffix = f"#{pk}"
            key = key[: MAX_LENGTH - len(suffix)] + suffix
        taken.add(key)
        User.objects.filter(pk=pk).update(username_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_username_key"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
