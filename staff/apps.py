from django.apps import AppConfig
from django.apps import apps as installed
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    """Staff roles and the audit log. Sits right above accounts: the apps that act on players
    (safety, liveops) check roles and write the log through it."""

    name = "staff"
    verbose_name = "staff and audit log"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from staff.exports import PARTS

        register_parts(PARTS)

        from gameplatform.backoffice import admin_changed
        from staff import checks, services  # noqa: F401 (checks: registered on import)

        # The admin's edits of the ModelAdmins built on gameplatform.backoffice.AuditedAdmin.
        admin_changed.register(services.admin_change_record)
        # Model permissions are made by django.contrib.auth on post_migrate, for each app in
        # turn: the roles' groups get theirs once every app's exist. Infrastructure, not a rule
        # of the platform: the one signal here.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="staff.sync_roles")


def sync_roles_after_migrate(sender, *, using: str, apps=installed, **kwargs) -> None:
    """After the last app's post_migrate (every app's permissions made; the signal goes to the
    installed apps with models, in order): the roles' permissions from the table
    (``staff.roles``), through the migrated state's models. Runs after every ``migrate`` and
    ``flush`` (a test's flush empties the groups too)."""
    with_models = [config for config in installed.get_app_configs() if config.models_module is not None]
    if not with_models or sender.label != with_models[-1].label:
        return
    from staff.roles import sync_role_permissions

    sync_role_permissions(
        group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"), using=using
    )
