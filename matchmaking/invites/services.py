"""Invites to a game or a lobby between friends (and kinds higher apps register, e.g. the world's
``party``: ``matchmaking.invites.hooks``), with a full lifecycle.

pending -> accepted | declined | cancelled | expired. Every transition is one
conditional update (``filter(pk=..., status="pending").update(...) == 1``): of
an accept, a cancel, a decline and the expiry job arriving at once, exactly one
changes the row (the others wait on its row lock, then find it no longer
pending) and only that one emits its event. Repeating the transition that won
is answered with the same result (idempotent); any other answer is 409
``invite_not_pending`` or, after the deadline, 410 ``invite_expired``.

Events go after commit to both sides' personal groups (``send_to_user``):
``invite_created``, ``invite_accepted`` (with ``game_id``, ``lobby_id`` or ``party_id``),
``invite_declined``, ``invite_cancelled``, ``invite_expired``, each ``{invite}``;
the receiver's badge is pushed on each change.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chat.lobbies.selectors import lobby_get, lobby_is_member
from chat.lobbies.services import lobby_join
from friends.selectors import are_friends, is_blocked_between
from game.registry import get_mode
from game.services import game_create
from gameplatform.broadcast.realtime import send_to_user
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data.ratelimit import Budget
from matchmaking.invites import events
from matchmaking.invites.hooks import invite_kind_accept, invite_kind_check
from matchmaking.invites.selectors import invite_get_for_party, invite_ids_due
from matchmaking.models import Invite
from notifications.services import badge_push, notify

User = get_user_model()


# At most 10 invites in any 60-second span per sender.
INVITE_RATE = Budget("invites:user", limit=10, window=60.0, what="invites")


class InviteExpired(ApplicationError):
    status_code = 410

    def __init__(self) -> None:
        super().__init__("The invite has expired.", code="invite_expired")


# --- create -----------------------------------------------------------------


def invite_create(
    *,
    from_user: User,
    to_user_id: int,
    kind: str,
    mode: str | None = None,
    lobby_id: int | None = None,
    party_id: int | None = None,
) -> Invite:
    """Invite a friend. Not atomic as a whole: the rate limit (Redis) stays outside the transaction.

    A kind registered by a higher app (``hooks.invite_kind_check``, e.g. ``party``) checks its own
    target and needs no friendship; a block between the two always refuses.
    """
    if int(to_user_id) == from_user.pk:
        raise ApplicationError("You cannot invite yourself.", code="self_invite")
    to_user = User.objects.filter(pk=to_user_id, is_active=True).first()
    if to_user is None:
        raise NotFound("No such user.")
    check = invite_kind_check.get(kind) if kind not in (Invite.Kind.GAME, Invite.Kind.LOBBY) else None
    if check is not None:
        _require_not_blocked(from_user.pk, to_user.pk, friends=False)
        if party_id is None:
            raise ApplicationError(
                "A party invite needs party_id.", code="invalid", extra={"fields": {"party_id": ["Required."]}}
            )
        check(from_user, party_id)
        INVITE_RATE.spend(from_user.pk)
        _expire_stale(from_user=from_user, to_user=to_user)
        return _insert(from_user=from_user, to_user=to_user, kind=kind, mode="", lobby_id=None, party_id=party_id)
    _require_friends(from_user.pk, to_user.pk)
    mode, lobby_id = _target(kind=kind, mode=mode, lobby_id=lobby_id, sender=from_user)
    INVITE_RATE.spend(from_user.pk)
    _expire_stale(from_user=from_user, to_user=to_user)
    return _insert(from_user=from_user, to_user=to_user, kind=kind, mode=mode, lobby_id=lobby_id)


def _expire_stale(*, from_user: User, to_user: User) -> None:
    # A pending invite past its deadline (the job has not run yet) must not block a new one.
    for stale_id in Invite.objects.filter(
        from_user=from_user, to_user=to_user, status=Invite.Status.PENDING, expires_at__lte=timezone.now()
    ).values_list("pk", flat=True):
        invite_expire(invite_id=stale_id)


def _require_friends(user_a_id: int, user_b_id: int) -> None:
    _require_not_blocked(user_a_id, user_b_id, friends=True)


def _require_not_blocked(user_a_id: int, user_b_id: int, *, friends: bool) -> None:
    if is_blocked_between(user_a_id=user_a_id, user_b_id=user_b_id):
        raise Forbidden("One of you blocks the other.", code="blocked")
    if friends and not are_friends(user_a_id=user_a_id, user_b_id=user_b_id):
        raise Forbidden("You can only invite your friends.", code="not_friends")


def _target(*, kind: str, mode: str | None, lobby_id: int | None, sender: User) -> tuple[str, int | None]:
    if kind == Invite.Kind.GAME:
        mode = mode or "tictactoe"
        needs = get_mode(mode).min_players  # an unknown mode: 400 invalid_mode, as the queue answers
        if needs > 2:  # an invite is one-to-one: refused now, not when it is accepted
            raise ApplicationError(
                f"{mode} needs at least {needs} players: start it from a lobby.", code="invalid_mode"
            )
        return mode, None
    if kind == Invite.Kind.LOBBY:
        if lobby_id is None:
            raise ApplicationError(
                "A lobby invite needs lobby_id.", code="invalid", extra={"fields": {"lobby_id": ["Required."]}}
            )
        _require_lobby_invitable(lobby_id=lobby_id, sender=sender)
        return "", lobby_id
    raise ApplicationError("kind is game or lobby.", code="invalid", extra={"fields": {"kind": ["game or lobby."]}})


def _require_lobby_invitable(*, lobby_id: int, sender: User) -> None:
    """The lobby exists and the sender is one of its members."""
    try:
        lobby_get(lobby_id=lobby_id)
    except NotFound:
        raise NotFound("No such lobby.", code="lobby_not_found") from None
    if not lobby_is_member(lobby_id=lobby_id, user_id=sender.pk):
        raise Forbidden("Only members of a lobby invite to it.", code="not_a_member")


def _insert(
    *, from_user: User, to_user: User, kind: str, mode: str, lobby_id: int | None, party_id: int | None = None
) -> Invite:
    expires_at = timezone.now() + timedelta(seconds=settings.INVITE_TTL_SECONDS)
    try:
        with transaction.atomic():
            invite = Invite.objects.create(
                from_user=from_user,
                to_user=to_user,
                kind=kind,
                mode=mode,
                lobby_id=lobby_id,
                party_id=party_id,
                expires_at=expires_at,
            )
    except IntegrityError:
        raise Conflict("You already have a pending invite to this user.", code="duplicate_invite") from None
    _emit("invite_created", invite)
    notify(user_id=to_user.pk, kind="invite_received", payload={"invite": events.invite_data(invite)})
    return invite


# --- transitions --------------------------------------------------------------


def invite_accept(*, invite_id: int, user: User) -> Invite:
    """The receiver accepts: a game invite makes a new game for both, a lobby invite joins the lobby."""
    return _respond(invite_id=invite_id, user=user, side="to_user", status=Invite.Status.ACCEPTED, apply=_apply_accept)


def invite_decline(*, invite_id: int, user: User) -> Invite:
    return _respond(invite_id=invite_id, user=user, side="to_user", status=Invite.Status.DECLINED)


def invite_cancel(*, invite_id: int, user: User) -> Invite:
    return _respond(invite_id=invite_id, user=user, side="from_user", status=Invite.Status.CANCELLED)


_EVENTS = {
    Invite.Status.ACCEPTED: "invite_accepted",
    Invite.Status.DECLINED: "invite_declined",
    Invite.Status.CANCELLED: "invite_cancelled",
    Invite.Status.EXPIRED: "invite_expired",
}
_WHO = {"to_user": "receiver", "from_user": "sender"}


def _respond(
    *, invite_id: int, user: User, side: str, status: str, apply: Callable[[Invite], dict] | None = None
) -> Invite:
    # Two rounds at most: a lost race re-reads the row and answers from what won.
    for _ in range(2):
        invite = invite_get_for_party(invite_id=invite_id, user_id=user.pk)
        if getattr(invite, f"{side}_id") != user.pk:
            raise Forbidden(f"Only the {_WHO[side]} can do that.", code="not_allowed")
        if invite.status == status:
            return invite
        _refuse_closed(invite)
        changed = _transition(invite_id=invite.pk, status=status, apply=apply)
        if changed is not None:
            return changed
    raise Conflict("The invite changed meanwhile.", code="invite_not_pending")


def _refuse_closed(invite: Invite) -> None:
    if invite.status == Invite.Status.EXPIRED:
        raise InviteExpired()
    if invite.status != Invite.Status.PENDING:
        raise Conflict(f"The invite is already {invite.status}.", code="invite_not_pending")
    if invite.expires_at <= timezone.now():
        invite_expire(invite_id=invite.pk)
        raise InviteExpired()


@transaction.atomic
def _transition(*, invite_id: int, status: str, apply: Callable[[Invite], dict] | None) -> Invite | None:
    """Claim a live pending invite for ``status``; None when something else got there first."""
    now = timezone.now()
    claimed = Invite.objects.filter(pk=invite_id, status=Invite.Status.PENDING, expires_at__gt=now).update(
        status=status, responded_at=now
    )
    if claimed != 1:
        return None
    invite = Invite.objects.select_related("from_user", "to_user").get(pk=invite_id)
    extra = apply(invite) if apply is not None else {}
    _emit(_EVENTS[status], invite, **extra)
    return invite


def _apply_accept(invite: Invite) -> dict:
    """Inside the accepting transaction: a failure here (a mode the game no longer offers, a full
    lobby, a full party) undoes the accept."""
    if invite.kind not in (Invite.Kind.GAME, Invite.Kind.LOBBY):
        accept = invite_kind_accept.get(invite.kind)
        if accept is None:
            raise ImproperlyConfigured(
                f"No app registered the accept of invite kind {invite.kind!r} (invite_kind_accept)."
            )
        _require_not_blocked(invite.from_user_id, invite.to_user_id, friends=False)
        return accept(invite)
    _require_friends(invite.from_user_id, invite.to_user_id)
    if invite.kind == Invite.Kind.GAME:
        game = game_create(mode=invite.mode, players=[invite.from_user, invite.to_user])
        invite.game_id = game.pk
        invite.save(update_fields=["game_id"])
        return {"game_id": game.pk}
    lobby_join(lobby_id=invite.lobby_id, user=invite.to_user, via_invite=True)
    return {"lobby_id": invite.lobby_id}


@transaction.atomic
def invite_expire(*, invite_id: int) -> bool:
    """Expire one invite past its deadline; True only for the call that did (exactly once)."""
    now = timezone.now()
    expired = Invite.objects.filter(pk=invite_id, status=Invite.Status.PENDING, expires_at__lte=now).update(
        status=Invite.Status.EXPIRED, responded_at=now
    )
    if expired != 1:
        return False
    _emit("invite_expired", Invite.objects.select_related("from_user", "to_user").get(pk=invite_id))
    return True


def invites_cancel_between(*, user_a_id: int, user_b_id: int) -> int:
    """Cancel every pending invite between two users (a block started); each is announced once."""
    pending = Invite.objects.filter(
        Q(from_user_id=user_a_id, to_user_id=user_b_id) | Q(from_user_id=user_b_id, to_user_id=user_a_id),
        status=Invite.Status.PENDING,
    ).values_list("pk", flat=True)
    return sum(
        _transition(invite_id=invite_id, status=Invite.Status.CANCELLED, apply=None) is not None
        for invite_id in list(pending)
    )


def invites_expire_due(*, limit: int = 500) -> int:
    """The timer job's body: expire every due invite; returns how many this call expired."""
    return sum(invite_expire(invite_id=invite_id) for invite_id in invite_ids_due(limit=limit))


def _emit(event_type: str, invite: Invite, **extra) -> None:
    payload = events.invite_event(event_type, invite, **extra)
    send_to_user(invite.from_user_id, payload)
    send_to_user(invite.to_user_id, payload)
    badge_push(user_id=invite.to_user_id)


def invites_cancel_for_party(*, party_id: int) -> int:
    """Cancel the pending invites into a party that is gone (disbanded); each is announced once."""
    pending = Invite.objects.filter(kind=Invite.Kind.PARTY, party_id=party_id, status=Invite.Status.PENDING)
    return sum(
        _transition(invite_id=invite_id, status=Invite.Status.CANCELLED, apply=None) is not None
        for invite_id in list(pending.values_list("pk", flat=True))
    )
