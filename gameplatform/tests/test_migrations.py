"""A database made before the chat and matchmaking migrations were squashed migrates on.

The first round's ``chat`` and ``matchmaking`` had an empty first migration, one per
area and a merge; each is now one squashed migration that ``replaces`` them. A database
whose history names the old four (every install of the first round) must see nothing to
apply, keep its rows, and record the squashed migration as applied.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from chat.models import Lobby

pytestmark = pytest.mark.django_db(transaction=True)

SQUASHED = {
    "chat": (
        "0001_lobbies_and_dms",
        ["0001_initial", "0002_lobbies", "0002_direct_messages", "0003_merge_0002_direct_messages_0002_lobbies"],
    ),
    "matchmaking": (
        "0001_queue_and_invites",
        ["0001_initial", "0002_queue", "0002_invites", "0003_merge_0002_invites_0002_queue"],
    ),
}


def rewind_history_to_the_first_round() -> None:
    recorded = MigrationRecorder.Migration.objects
    for app, (squashed, old_names) in SQUASHED.items():
        recorded.filter(app=app, name=squashed).delete()
        recorded.bulk_create(MigrationRecorder.Migration(app=app, name=name) for name in old_names)


def test_a_first_round_database_migrates_without_changes_and_keeps_its_rows(alice):
    lobby = Lobby.objects.create(name="Kept", owner=alice)
    rewind_history_to_the_first_round()
    try:
        assert MigrationLoader(connection).applied_migrations.keys() >= {("chat", "0001_lobbies_and_dms")}

        call_command("migrate", verbosity=0)

        recorded = set(MigrationRecorder(connection).applied_migrations())
        assert ("chat", "0001_lobbies_and_dms") in recorded
        assert ("matchmaking", "0001_queue_and_invites") in recorded
        assert Lobby.objects.get(pk=lobby.pk).name == "Kept"
    finally:
        MigrationRecorder.Migration.objects.filter(app__in=list(SQUASHED)).delete()
        for app, (squashed, _) in SQUASHED.items():
            MigrationRecorder.Migration.objects.create(app=app, name=squashed)


def test_the_models_match_the_migrations():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
