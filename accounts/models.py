import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from gameplatform.sockets import usercache

USERNAME_KEY_MAX_LENGTH = 255


def username_key(username: str) -> str:
    """The name two usernames share when they look alike: NFKC, then case folded.

    ``ＵＳＥＲ_1`` (fullwidth), ``USER_1`` and ``user_1`` all have the key ``user_1``;
    the database keeps keys unique (``accounts_user_username_key_unique``).
    """
    return unicodedata.normalize("NFKC", username).casefold()[:USERNAME_KEY_MAX_LENGTH]


class GameUserManager(UserManager):
    def get_by_natural_key(self, username):
        """The account a typed username names, in any case or width: the exact name first
        (an older database may hold look-alike names, see migration 0003), then the key."""
        user = self.filter(username=username).first()
        if user is None:
            user = self.filter(username_key=username_key(username)).first()
        if user is None:
            raise self.model.DoesNotExist
        return user


class AgeBand(models.TextChoices):
    """The bands the stores hand apps (Apple's Declared Age Range, Google Play's Age Signals) and
    the law's thresholds use."""

    UNDER_13 = "under_13"
    FROM_13_TO_15 = "13_15"
    FROM_16_TO_17 = "16_17"
    ADULT = "adult"
    UNKNOWN = "unknown"


class AgeSource(models.TextChoices):
    NONE = "", "none"
    DECLARED = "declared"
    APPLE = "apple"
    GOOGLE = "google"
    STAFF = "staff"


class User(AbstractUser):
    display_name = models.CharField(max_length=64, blank=True)
    is_premium = models.BooleanField(default=False, db_index=True)
    # When premium ends by itself (the timer ``accounts.expire_premium`` clears both); empty
    # while premium has no end (an operator's grant without days) or the user is not premium.
    premium_until = models.DateTimeField(null=True, blank=True)
    # Made by POST /api/auth/device/ with no password; false once linked (POST /api/auth/link/).
    is_guest = models.BooleanField(default=False)
    # username_key(username), set on save; unique, so look-alike names cannot coexist.
    username_key = models.CharField(max_length=USERNAME_KEY_MAX_LENGTH, editable=False, default="")
    # Suspended or banned until then (a ban: LOCKED_FOREVER): no sign-in, no token works, no
    # socket stays open. Written only by ``accounts.services.account_lock`` (the safety app's
    # sanctions); read with the user's row on every request, so the check costs no query.
    locked_until = models.DateTimeField(null=True, blank=True)
    # Access tokens issued before this second are refused (a reset, a password change, a parent's
    # withdrawn consent ended every session: ``accounts.sessions``); read with the user's row.
    sessions_ended_at = models.DateTimeField(null=True, blank=True)
    # The address was proven by a link mailed to it (POST /api/auth/email/verify/).
    email_verified = models.BooleanField(default=False)
    # The player asked for deletion (POST /api/me/delete/): the account is deleted at this time
    # unless they cancel first; empty otherwise.
    delete_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The age band the stores and the law act on, and who said it (see docs/accounts.md).
    age_band = models.CharField(max_length=16, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    age_source = models.CharField(max_length=16, choices=AgeSource.choices, default=AgeSource.NONE)
    # Declared by the player: kept so that a declared band grows up with them (13_15 → 16_17 → adult).
    birth_date = models.DateField(null=True, blank=True)
    # Staff recorded a parent's consent for an under-13 account (free-text chat allowed).
    parental_consent_at = models.DateTimeField(null=True, blank=True)
    # The App Store's id of this app's install (AppTransaction.appTransactionId), verified, sent with
    # Apple's age range: a RESCIND_CONSENT notification names it (accounts.age.consent_rescind).
    apple_app_transaction_id = models.CharField(max_length=64, blank=True, default="", db_index=True)

    objects = GameUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username_key"], name="accounts_user_username_key_unique"),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self):
        """Forms (the admin's) refuse a look-alike of another account's name, as the database would."""
        super().clean()
        key = username_key(self.username)
        if type(self)._default_manager.filter(username_key=key).exclude(pk=self.pk).exists():
            raise ValidationError({"username": "A user with that username already exists."})

    def save(self, *args, **kwargs):
        key = username_key(self.username)
        # A key suffixed by migration 0003 (a look-alike of an older name) stays as it is.
        if self.username_key != key and not self.username_key.startswith(key + "#"):
            self.username_key = key
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "username_key"}
        changed = not self._state.adding
        super().save(*args, **kwargs)
        if changed:  # sockets' handshakes read the row from a copy per process: every process drops it
            usercache.forget_on_commit(self.pk)


class GuestDevice(models.Model):
    """The device a guest account logs in with, by the SHA-256 of its id.

    The raw id is a credential (whoever knows it logs in), so it is never stored. The row
    stays when the guest links a username and password: the device keeps logging into the
    same, now full, account.
    """

    device_hash = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="guest_device")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "guest device"
        verbose_name_plural = "guest devices"

    def __str__(self) -> str:
        return f"device {self.device_hash[:12]}… of {self.user_id}"


class AccountDevice(models.Model):
    """A device an account signed in from (a password login, a registration, a provider's id
    token that sent the client's ``device_id``), by the SHA-256 of its id as ``GuestDevice``.

    It signs nobody in: it only tells ``POST /api/auth/device/`` that the device belongs to
    an account, so that a suspended or banned player cannot make a fresh guest on it
    (``accounts.services.device_lock_check``). Deleted with the account.
    """

    device_hash = models.CharField(max_length=64)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "account device"
        verbose_name_plural = "account devices"
        constraints = [
            models.UniqueConstraint(fields=["device_hash", "user"], name="accounts_accountdevice_unique"),
        ]
        indexes = [models.Index(fields=["device_hash"], name="accounts_accountdevice_hash")]

    def __str__(self) -> str:
        return f"device {self.device_hash[:12]}… seen on {self.user_id}"


class Mail(models.Model):
    """A mail the platform owes a player (a reset link, a verification link): written in the
    transaction of the change that asks for it, so a change that commits is mailed and one that
    rolls back is not; sent once it commits, and again after a failure until its link would be
    dead (``accounts.mail``). It holds no credential: the link's token is made when the mail is
    sent, from the account as it is then (Django's token generators store nothing)."""

    class Kind(models.TextChoices):
        PASSWORD_RESET = "password_reset"
        EMAIL_VERIFY = "email_verify"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # its link would be dead by now: given up

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    address = models.EmailField()  # where it goes: the account's address when it was asked for
    link_base = models.CharField(max_length=500)  # where its link starts (PUBLIC_URL or the request's origin)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    # The next attempt's time; a claimed mail's is pushed past its attempt's longest time, so a
    # sender that dies mid-attempt leaves it due again.
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)  # the failure's kind, never the link

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False), name="accounts_mail_sent_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="accounts_mail_due_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} mail #{self.pk} to account {self.user_id} ({self.status})"
