"""``manage.py grant_premium USERNAME [USERNAME ...] [--days N] [--revoke]``: premium status (which lobby
creation needs) from the command line, through the same service as the admin's actions."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Grant premium to users (or take it back with --revoke)."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="USERNAME", help="as typed at login (any case)")
        parser.add_argument("--revoke", action="store_true", help="take premium away instead")
        parser.add_argument(
            "--days", type=int, default=None, help="premium for this many days more (unset: with no end)"
        )

    def handle(self, *args, usernames: list[str], revoke: bool, days: int | None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        # Every name is checked before anything changes: a typo changes nobody.
        users = []
        for username in usernames:
            try:
                users.append(User.objects.get_by_natural_key(username))
            except User.DoesNotExist:
                raise CommandError(f"no user named {username!r}")
        for user in users:
            user = services.user_set_premium(user=user, is_premium=not revoke, days=days)
            state = "no longer premium" if revoke else "premium"
            if user.is_premium and user.premium_until:
                state += f" until {user.premium_until.isoformat(timespec='seconds')}"
            self.stdout.write(f"{user.username} is {state}")
