"""Entries written before this keep no name of a player: the ``target`` text of every target that
is not one of the studio's own (a player, a report or a sanction, a message, an object a player
named) is emptied, as ``staff.audit.record`` no longer writes it. The log outlives a player's
account and is never changed, so what the law keeps of it must hold no name of theirs.

The one rewrite of the log, in the open: its triggers are switched off for this statement (the
migrating role owns the table) and on again in the same transaction.
"""

from importlib import import_module

from django.db import migrations

append_only = import_module("staff.migrations.0002_append_only")

# As staff.audit.NAMED_TARGETS and NAMED_TARGET_PREFIXES were when this was written.
NAMED = ("word", "game", "world.worldevent", "leaderboard", "tournament")
NAMED_PREFIXES = ("liveops.", "webhooks.", "leaderboards.", "payments.product", "progression.shopitem")


def forget_player_names(apps, schema_editor) -> None:
    entry = apps.get_model("staff", "AuditEntry")
    kinds = set(entry.objects.exclude(target="").values_list("target_type", flat=True).distinct())
    personal = sorted(k for k in kinds if k not in NAMED and not k.startswith(NAMED_PREFIXES))
    if not personal:
        return
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE staff_auditentry DISABLE TRIGGER staff_auditentry_no_update_or_delete")
    else:
        append_only.drop_triggers(apps, schema_editor)
    entry.objects.filter(target_type__in=personal).update(target="")
    if vendor == "postgresql":
        schema_editor.execute("ALTER TABLE staff_auditentry ENABLE TRIGGER staff_auditentry_no_update_or_delete")
    else:
        append_only.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("staff", "0004_truncate_by_superusers_only")]

    operations = [migrations.RunPython(forget_player_names, migrations.RunPython.noop, elidable=False)]
