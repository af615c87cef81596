"""A live-operations record staff change whole: a flag or a live event.

Both are written the same way, and only here: a change locks the row, is validated, audited with
what the record was before and after (its versions, which ``selectors.change_history`` lists and a
rollback puts back), and raises the live-operations version in its transaction
(``services.liveops_changed``, through the kind's ``changed``). ``Versioned`` holds what differs
between the two kinds; ``liveops.services`` (flags) and ``liveops.schedule.services`` (live events)
say what each change means.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction

from accounts.models import User
from gameplatform.core.errors import Conflict, NotFound
from liveops import selectors
from staff import audit


@dataclass(frozen=True)
class Versioned:
    """How one kind of record is changed: its audit ``target_type`` and its actions' prefix
    (``flag`` -> ``flag.update``), what its versions hold (``detail``), its check of the fields
    to write (``validate``: raises the API's 400, returns the fields with their defaults), what a
    change tells (``changed(record, action)``), and, for a kind with a unique field, the 409 a
    write taken by another record is (``conflict(fields)``)."""

    model: type[models.Model]
    target_type: str
    prefix: str
    detail: Callable[[models.Model], dict]
    validate: Callable[[dict], dict]
    changed: Callable[[models.Model, str], None]
    not_found: Callable[[object], NotFound]
    conflict: Callable[[dict], Conflict] | None = None

    def locked(self, **lookup) -> models.Model:
        """The record, its row locked for the change; 404 (``not_found``) when there is none."""
        record = self.model.objects.select_for_update().filter(**lookup).first()
        if record is None:
            raise self.not_found(next(iter(lookup.values())))
        return record

    def version(self, record: models.Model, audit_id: int, name: str) -> dict:
        """The fields ``record`` had right after its change ``audit_id``; 404 ``version_not_found``
        for an entry that is not a version of it (``name``: the record as the message names it)."""
        version = selectors.version_after(target_type=self.target_type, target_id=record.pk, audit_id=audit_id)
        if version is None:
            raise NotFound(f"No version {audit_id} of {name}.", code="version_not_found")
        return version

    def create(self, staff: User | None, fields: dict) -> models.Model:
        fields = self.validate(fields)
        record = self._saved(lambda: self.model.objects.create(**fields), fields)
        self._audit(staff, "create", record, self.detail(record))
        return record

    def replace(self, staff: User | None, record: models.Model, action: str, fields: dict, detail: dict):
        """Write ``fields`` over the locked ``record``, validated; audited as ``action`` (``update``,
        ``rollback``: ``flag.update``...) with the record before and after (and ``detail``)."""
        fields = self.validate(fields)
        before = self.detail(record)
        for name, value in fields.items():
            setattr(record, name, value)
        self._saved(lambda: record.save(update_fields=[*fields, "updated_at"]), fields)
        self._audit(staff, action, record, {"before": before, "after": self.detail(record), **detail})
        return record

    def delete(self, staff: User | None, record: models.Model) -> None:
        self._audit(staff, "delete", record, self.detail(record))
        record.delete()

    def _saved(self, write: Callable[[], object], fields: dict):
        if self.conflict is None:
            return write()
        try:
            with transaction.atomic():  # a savepoint: the 409 leaves the caller's transaction usable
                return write()
        except IntegrityError:
            raise self.conflict(fields) from None

    def _audit(self, staff: User | None, action: str, record: models.Model, detail: dict) -> None:
        action = f"{self.prefix}.{action}"
        audit.record_on(record, staff=staff, action=action, target_type=self.target_type, detail=detail)
        self.changed(record, action)
