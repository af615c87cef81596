"""The admin's pieces every app shares (the kit's admin wing; nothing registered here):
``ReadOnlyInline``, ``AuditedAdmin``, whose edits and actions reach the audit log through the hook
``admin_changed``, ``ServiceWrittenAdmin`` and ``ReadOnlyAdmin`` for records only services write,
and ``refusal_as_form_error`` for forms that ask a service."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.db import models, router, transaction

from gameplatform.core.errors import ApplicationError
from gameplatform.core.hooks import Hook


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent, never added, changed or deleted there: they change through
    their services only. Subclasses name the ``model`` and the fields shown."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- Staff edits, told to whoever keeps the record -------------------------------------------------
#
# The admin's add, change and delete pages (and list_editable) already call ModelAdmin's
# ``log_addition``, ``log_change`` and ``log_deletions``, the overridable methods with which the
# admin keeps its own record ("the default implementation creates an admin LogEntry object";
# ``log_deletions`` came in Django 5.1 for this): after the save (before the delete), inside the
# admin's own transaction, whatever a ModelAdmin does in ``save_model`` or
# ``delete_model`` (the user admin deletes through ``accounts.services.user_delete``). So the
# mixin overrides those three and nothing that saves: the record is made in one place, and a
# failed save (rolled back) leaves none. Admin actions never call them; ``get_actions`` (public
# too) wraps each action so that it runs in one transaction with its record. Django's own
# ``delete_selected`` is left as it is: its deletions come through ``log_deletions``.
#
# The kit knows no app: the mixin tells the hook ``admin_changed``; ``staff`` registers the
# reaction that writes the audit entry (``StaffConfig.ready``), so accounts, payments, game and
# progression, which sit below staff, use the mixin without importing staff.


@dataclass(frozen=True)
class AdminChange:
    """One staff edit made in the admin: ``action`` is ``admin.add``, ``admin.change``,
    ``admin.delete`` or ``admin.action``; ``detail`` says what (the changed fields, the action)."""

    user: Any  # request.user: the staff member
    action: str
    obj: models.Model
    detail: dict


admin_changed: Hook[[AdminChange], None] = Hook("admin_changed")


def changed_fields(message) -> list[str]:
    """The object's own changed fields in a change message Django built (``construct_change_message``:
    ``[{"changed": {"fields": [...]}}, {"added": {"name": ..., "object": ...}}, ...]``)."""
    if not isinstance(message, list):
        return []
    return [
        field
        for part in message
        if "changed" in part and "name" not in part["changed"]
        for field in part["changed"].get("fields", [])
    ]


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every addition, change, deletion and action is told to ``admin_changed``
    (see above): use it as the base of the ModelAdmins of players, purchases and rooms."""

    def log_addition(self, request, obj, message):
        admin_changed(AdminChange(request.user, "admin.add", obj, {}))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        detail = {"fields": changed_fields(message), "message": message}
        admin_changed(AdminChange(request.user, "admin.change", obj, detail))
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            admin_changed(AdminChange(request.user, "admin.delete", obj, {}))
        return super().log_deletions(request, queryset)

    def get_actions(self, request, *args, **kwargs):
        # Whatever else Django passes (6.1 adds ``action_location``) goes on to its own method.
        return {
            name: (func if func is delete_selected else audited_action(func, name), name, description)
            for name, (func, name, description) in super().get_actions(request, *args, **kwargs).items()
        }


def audited_action(func, name: str):
    """``func`` (an admin action) run in one transaction with one ``admin.action`` record per
    selected object, told before the action runs (it may change what the selection matches)."""

    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            for obj in queryset:
                detail = {"action": name}
                admin_changed(AdminChange(request.user, "admin.action", obj, detail))
            return func(modeladmin, request, queryset)

    return run


class ServiceWrittenAdmin(AuditedAdmin):
    """Records only their services write: shown and deletable here, never added or changed."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ServiceWrittenAdmin):
    """Records shown, never edited in the admin: they change through their services only."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@contextmanager
def refusal_as_form_error() -> Iterator[None]:
    """A service's refusal (``ApplicationError``) in the block, raised again as the form's error:
    the API's message and code on the page, not a 500 from ``save_model``."""
    try:
        yield
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None
