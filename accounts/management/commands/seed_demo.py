"""Demo data for a fresh install: users first, then each app's ``demo`` module.

An app adds its demo data by providing ``<app>/demo.py`` with
``seed(*, users: dict[str, User], stdout) -> None`` (idempotent) and
``clear() -> None``, and optionally ``prepare() -> None`` (idempotent): what other apps' demo
data writes into, made before any app seeds (the leaderboards the built-in modes feed, which
the demo games write to as they are recorded). Apps run in ``PROJECT_APPS`` order; ``--clear``
clears them in reverse order first. ``--unless-seeded`` does nothing when every demo user exists (what
``make dev`` runs before each start, so that a restart costs no seeding).
"""

from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import user_delete

DEMO_PASSWORD = "testpass123"
PREMIUM_USERS = ["premium_user_1", "premium_user_2"]
NORMAL_USERS = [f"user_{n}" for n in range(1, 6)]


def demo_modules() -> list:
    return [import_module(f"{app}.demo") for app in settings.PROJECT_APPS if find_spec(f"{app}.demo") is not None]


def seed_users() -> dict[str, User]:
    users = {}
    for username in PREMIUM_USERS + NORMAL_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.com",
                "is_premium": username in PREMIUM_USERS,
                "display_name": username.replace("_", " ").title(),
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    return users


def demo_seeded() -> bool:
    """Every demo user exists: the demo data was seeded (``seed_demo`` makes the users first, and
    the whole of it in one transaction)."""
    return User.objects.filter(username__in=PREMIUM_USERS + NORMAL_USERS).count() == len(PREMIUM_USERS + NORMAL_USERS)


class Command(BaseCommand):
    help = "Create the demo users and every app's demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--clear", action="store_true", help="Remove the demo data first.")
        parser.add_argument(
            "--unless-seeded", action="store_true", help="Do nothing when the demo users exist already."
        )

    def handle(self, *args, clear: bool = False, unless_seeded: bool = False, **options):
        if unless_seeded and not clear and demo_seeded():
            self.stdout.write("The demo data is seeded already (manage.py seed_demo seeds it again).")
            return
        modules = demo_modules()
        with transaction.atomic():
            if clear:
                for module in reversed(modules):
                    module.clear()
                for user in User.objects.filter(username__in=PREMIUM_USERS + NORMAL_USERS):
                    user_delete(user=user)
                self.stdout.write("Cleared the demo data.")
            users = seed_users()
            for module in modules:
                if hasattr(module, "prepare"):
                    module.prepare()
            for module in modules:
                module.seed(users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo users ready: {', '.join(users)} (password {DEMO_PASSWORD!r})."))
