"""``manage.py grant_premium USERNAME [USERNAME ...] [--revoke]``: premium status (which lobby
creation needs) from the command line, through the same service as the admin's actions."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Grant premium to users (or take it back with --revoke)."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="USERNAME", help="as typed at login (any case)")
        parser.add_argument("--revoke", action="store_true", help="take premium away instead")

    def handle(self, *args, usernames: list[str], revoke: bool, **options):
        # Every name is checked before anything changes: a typo changes nobody.
        users = []
        for username in usernames:
            try:
                users.append(User.objects.get_by_natural_key(username))
            except User.DoesNotExist:
                raise CommandError(f"no user named {username!r}")
        for user in users:
            services.user_set_premium(user=user, is_premium=not revoke)
            state = "no longer premium" if revoke else "premium"
            self.stdout.write(f"{user.username} is {state}")
