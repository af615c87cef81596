"""``manage.py liveops_push FILE.json [--as USERNAME] [--dry-run] [--prune]``: make the flags what a
JSON document says (``liveops.flags_as_code``), through the services the staff routes use.

The document is checked whole first: a refusal exits non-zero naming its field
(``flags.checkout-button.rules: rule 0: weights must sum to 1.``) and changes nothing. Connected
players are told once, however many flags changed, before the command returns.
"""

import json
import sys
import time
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from gameplatform.broadcast.realtime import outbox_var
from gameplatform.core.errors import ApplicationError
from gameplatform.http import serializers
from liveops.flags_as_code import document_parse, flags_push
from staff.permissions import user_has_role
from staff.roles import LIVEOPS


def _field_errors(error: serializers.ValidationError) -> str:
    detail = error.detail
    if not isinstance(detail, dict):
        return "; ".join(str(message) for message in detail)
    return "; ".join(f"{path}: {' '.join(str(m) for m in messages)}" for path, messages in detail.items())


def staff_member(username: str) -> User:
    """The staff user a push is audited as: active, staff, with the role the flag routes ask."""
    try:
        user = User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"--as: no user named {username!r}") from None
    if not (user.is_active and user_has_role(user, LIVEOPS)):
        raise CommandError(f"--as: {user.username} is not staff with the role {LIVEOPS}")
    return user


def tell_players(outbox: list[dict]) -> None:
    """Send what the services' commits asked to send (``liveops_changed``, ``PUSH_DELAY`` after
    the commit), each distinct message once: a push of fifty flags tells each player once, not
    fifty times. The command waits for the delay itself: a process that exits drops the timers
    a send outside a server waits on."""
    unique = list({(message["group"], message.get("text")): message for message in outbox}.values())
    if not unique:
        return
    time.sleep(max(message.pop("delay", 0) or 0 for message in unique))
    send = async_to_sync(get_channel_layer().group_send)
    for message in unique:
        send(message["group"], message)


class Command(BaseCommand):
    help = 'Make the flags what a JSON document {"flags": {name: {defaultValue, rules}}} says.'

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE.json", help="the document (- reads standard input)")
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="the staff member (role liveops) the audit log names; unset: the system",
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
        parser.add_argument("--prune", action="store_true", help="delete the flags the document does not name")

    def handle(self, *args, file: str, username: str | None, dry_run: bool, prune: bool, **options) -> None:
        staff = staff_member(username) if username else None
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
            wanted = document_parse(json.loads(text))
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise CommandError(f"{file}: not JSON ({error})") from None
        except serializers.ValidationError as error:
            raise CommandError(_field_errors(error)) from None
        outbox: list[dict] = []
        token = outbox_var.set(outbox)
        try:
            plan = flags_push(staff=staff, wanted=wanted, prune=prune, dry_run=dry_run)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        except serializers.ValidationError as error:
            raise CommandError(_field_errors(error)) from None
        finally:
            outbox_var.reset(token)
        self._report(plan, dry_run)
        tell_players(outbox)

    def _report(self, plan, dry_run: bool) -> None:
        would = "would " if dry_run else ""
        for name in plan.create:
            self.stdout.write(f"{would}create {name}")
        for name, fields in plan.update:
            self.stdout.write(f"{would}update {name}: {', '.join(fields)}")
        for name in plan.delete:
            self.stdout.write(f"{would}delete {name}")
        summary = f"{plan.changes} change(s), {plan.unchanged} flag(s) unchanged"
        self.stdout.write(f"{summary} (dry run: nothing changed)" if dry_run else summary)
