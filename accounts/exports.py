"""The player's data export (``GET /api/me/export/``, GDPR Art. 15 and 20): one JSON document,
one key per domain, each app contributing its own part.

An app that holds rows about a user registers an ``ExportPart`` under its domain in its
``AppConfig.ready`` (``hooks.user_export.register("friends", ExportPart(...))``). ``covers`` names
each foreign key to the user its part answers for (``"friends.Friendship.user"``): a test walks
every model with a foreign key to the user and fails on one no part covers, so a new app cannot
forget its share.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import AccountDevice, GuestDevice, Mail, User
from gameplatform.data.ratelimit import Budget

# Three exports a day per account, on every process (the shared store's window).
EXPORTS_PER_DAY = Budget("export:user", limit=3, window=86400, what="exports")


@dataclass(frozen=True)
class ExportPart:
    build: Callable[[User], object]
    # "app_label.Model.field" of each foreign key to the user this part answers for.
    covers: tuple[str, ...]

    def __call__(self, user: User) -> object:
        return self.build(user)


def rows(queryset: QuerySet, *, leave_out: Iterable[str] = ()) -> list[dict]:
    """The rows as plain dicts (every column but ``leave_out``: secrets, hashes), oldest first."""
    left_out = set(leave_out)
    names = [f.attname for f in queryset.model._meta.concrete_fields if f.attname not in left_out]
    return list(queryset.order_by("pk").values(*names))


ACCOUNT_FIELDS = (
    "id",
    "username",
    "email",
    "display_name",
    "date_joined",
    "last_login",
    "is_guest",
    "is_premium",
    "premium_until",
    "email_verified",
    "delete_at",
    "age_band",
    "age_source",
    "birth_date",
    "parental_consent_at",
    "locked_until",
)


def account_part(user: User) -> dict:
    return {
        **{name: getattr(user, name) for name in ACCOUNT_FIELDS},
        # Devices are kept as their SHA-256 only: the export says when, not the hash.
        "devices": rows(AccountDevice.objects.filter(user=user), leave_out=("device_hash", "user_id")),
        "guest_devices": rows(GuestDevice.objects.filter(user=user), leave_out=("device_hash", "user_id")),
        # The mails sent to the account (a reset, a verification): what, where and when.
        "mails": rows(
            Mail.objects.filter(user=user).order_by("pk"),
            leave_out=("user_id", "link_base", "attempts", "next_attempt_at", "give_up_at", "last_error"),
        ),
    }


def profile_part(user: User) -> dict:
    """What other players see of the account."""
    from accounts.serializers import PublicUserSerializer

    return dict(PublicUserSerializer(user).data)


def register_parts(parts: dict[str, ExportPart]) -> None:
    """An app's parts, by domain (called from its ``AppConfig.ready``)."""
    from accounts import hooks

    for domain, part in parts.items():
        hooks.user_export.register(domain, part)


def register_own_parts() -> None:
    from accounts import hooks

    hooks.user_export.register(
        "account",
        ExportPart(
            account_part,
            covers=(
                "accounts.AccountDevice.user",
                "accounts.GuestDevice.user",
                "accounts.Mail.user",
                # Django's own: the admin's change log (staff only) and the issued refresh tokens
                # (secrets, never exported).
                "admin.LogEntry.user",
                "token_blacklist.OutstandingToken.user",
            ),
        ),
    )
    hooks.user_export.register("profile", ExportPart(profile_part, covers=()))


def user_export(*, user: User) -> dict:
    """Everything the platform holds about ``user``, by domain; 429 ``rate_limited`` past
    ``EXPORTS_PER_DAY``."""
    from accounts import hooks

    EXPORTS_PER_DAY.spend(user.pk)
    return {domain: part(user) for domain, part in sorted(hooks.user_export.functions.items())}
