"""Age writes: a declared birth date, a store's age signal, a parent's consent and its withdrawal.

What a band may do is ``accounts.policy``'s; this module only records who said what:

- ``age_set``: a birth date the player declares (the band follows it as they grow up), or a band
  a store gave the app (Apple's Declared Age Range, Google Play's Age Signals) or staff set. A
  declaration never raises a known band (409 ``age_locked``): a child who declared 12 cannot
  declare 30 a minute later; a store's signal or staff may set any band.
- ``parental_consent_record``: staff recorded a parent's consent (under 13: chat opens).
- ``consent_rescind``: a parent withdrew consent (Apple's ``RESCIND_CONSENT``): the account's
  refresh tokens die, its sockets close, its band goes back to unknown and what consent allowed
  is removed (the birth date, the consent, the store's band).

Each write tells this process's chat copy to look again (``chat_refused``), so the change holds
here at once and on every other process within ``CHAT_REFRESH_SECONDS``.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts import hooks, policy
from accounts.models import AgeBand, AgeSource, User
from accounts.sessions import sessions_end
from gameplatform.core.copies import ProcessCopy
from gameplatform.core.errors import Conflict, NotFound
from gameplatform.http import serializers
from gameplatform.sockets import lockout

CHAT_REFRESH_SECONDS = 1.0
STORE_SOURCES = {AgeSource.APPLE, AgeSource.GOOGLE, AgeSource.STAFF}


def chat_refused_ids() -> frozenset[int]:
    return frozenset(User.objects.filter(policy.chat_refused_q()).values_list("pk", flat=True))


# The accounts chat refuses (under 13 without consent; with AGE_REQUIRED, an unknown band): few,
# so every process keeps them and a message costs no query unless its sender is one of them.
CHAT_REFUSED: ProcessCopy[frozenset[int]] = ProcessCopy(chat_refused_ids, empty=frozenset(), every=CHAT_REFRESH_SECONDS)


def chat_refusal(user_id: int) -> Exception | None:
    """Why ``user_id`` may not chat (``policy.refusal(user, "chat")``), or None: the copy names
    the candidates, the user's row (read now) decides, so a consent recorded on another process
    opens chat at once."""
    if user_id not in CHAT_REFUSED.get():
        return None
    user = User.objects.filter(pk=user_id).first()
    return policy.refusal(user, "chat") if user is not None else None


def _changed() -> None:
    transaction.on_commit(CHAT_REFUSED.expire)


def _locked(user_id: int) -> User:
    return User.objects.select_for_update().get(pk=user_id)


def _declared_band(birth_date: date | None) -> str:
    if birth_date is None or birth_date > timezone.localdate():
        raise serializers.ValidationError({"birth_date": ["A birth date in the past is needed."]})
    return policy.band_from_birth_date(birth_date)


def age_declare_at_registration(*, user: User, birth_date: date) -> User:
    """The birth date a new account declared (in the registration's transaction): its band."""
    user.birth_date, user.age_band, user.age_source = birth_date, _declared_band(birth_date), AgeSource.DECLARED
    user.save(update_fields=["birth_date", "age_band", "age_source"])
    _changed()
    return user


def age_set(
    *,
    user: User,
    source: str,
    birth_date: date | None = None,
    band: str | None = None,
    app_transaction: str | None = None,
) -> User:
    """Record the player's age: a ``birth_date`` they declare (``source`` ``declared``), or the
    ``band`` a store or staff gave (``source`` ``apple``, ``google``, ``staff``). With Apple's
    band, ``app_transaction`` (the app's signed AppTransaction, verified before the transaction)
    ties the account to the install a ``RESCIND_CONSENT`` notification will name."""
    install = hooks.app_transaction_id.one()(app_transaction) if app_transaction else None
    return _age_write(user_id=user.pk, source=source, birth_date=birth_date, band=band, install=install)


@transaction.atomic
def _age_write(*, user_id: int, source: str, birth_date: date | None, band: str | None, install: str | None) -> User:
    user = _locked(user_id)
    if source == AgeSource.DECLARED:
        band = _declared_band(birth_date)
        if policy.is_raise(policy.band_of(user), band):
            raise Conflict("Your age was set already; it cannot be raised by declaring again.", code="age_locked")
    elif source in STORE_SOURCES:
        if band not in AgeBand.values:
            raise serializers.ValidationError({"band": ["No such age band."]})
        birth_date = None  # the store's word over an earlier declaration
    else:
        raise serializers.ValidationError({"source": ["No such age source."]})
    user.birth_date, user.age_band, user.age_source = birth_date, band, source
    fields = ["birth_date", "age_band", "age_source"]
    if install is not None:
        user.apple_app_transaction_id = install
        fields.append("apple_app_transaction_id")
    user.save(update_fields=fields)
    _changed()
    return user


@transaction.atomic
def parental_consent_record(*, user_id: int) -> User:
    """A parent's consent, as staff recorded it (the caller audits it): chat opens for under 13.
    404 for no such user."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    user.parental_consent_at = timezone.now()
    user.save(update_fields=["parental_consent_at"])
    _changed()
    return user


@transaction.atomic
def consent_rescind_for_install(*, app_transaction_id: str) -> int:
    """Apple's ``RESCIND_CONSENT`` for an install: ``consent_rescind`` of every account that sent
    that install's AppTransaction with its age range. How many there were."""
    user_ids = list(
        User.objects.filter(apple_app_transaction_id=app_transaction_id).order_by("pk").values_list("pk", flat=True)
    )
    for user_id in user_ids:
        consent_rescind(user_id=user_id)
    return len(user_ids)


@transaction.atomic
def consent_rescind(*, user_id: int) -> User | None:
    """A parent withdrew consent: the account's sessions end (every refresh token blacklisted,
    every socket closed 4403 ``consent_rescinded`` on every process) and what consent allowed goes
    (the band back to unknown; the birth date, the consent and the install's id removed). None for
    no such user."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return None
    user.birth_date, user.parental_consent_at, user.apple_app_transaction_id = None, None, ""
    user.age_band, user.age_source = AgeBand.UNKNOWN, AgeSource.NONE
    user.save(update_fields=["birth_date", "parental_consent_at", "apple_app_transaction_id", "age_band", "age_source"])
    sessions_end(user_id=user.pk, close_sockets=False)  # closed 4403 below, with the reason
    lockout.close_sockets_on_commit(
        user.pk, code="consent_rescinded", message="A parent withdrew their consent: sign in again."
    )
    _changed()
    return user
