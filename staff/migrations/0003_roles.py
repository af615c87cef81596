"""The four staff roles, as auth groups. Their permissions are set after every migrate, once
every app's permissions exist (``staff.apps.sync_roles_after_migrate``, from ``staff.roles``)."""

from django.db import migrations

ROLES = ("moderator", "support", "liveops", "admin")  # staff.roles.ROLES, as they were at this migration


def create_roles(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    for role in ROLES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=role)


def delete_roles(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("staff", "0002_append_only"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, delete_roles)]
