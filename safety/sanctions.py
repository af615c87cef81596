"""Sanctions: imposed by staff (from a report or on their own), told to the player with their
statement, ended by themselves, lifted sooner by staff or by a reversed appeal.

- ``warn``: a statement, nothing restricted;
- ``mute``: every chat way refuses the player's messages (``safety.mutes``, through the kit's
  ``gameplatform.chat.speech``) until ``ends_at``;
- ``suspend`` (until ``ends_at``) and ``ban`` (no end): the account is locked
  (``accounts.locks``): no sign-in, no token works, its sockets close 4403 on every process,
  it leaves the matchmaking queue, and the game it plays takes its forfeit at once (by the room's
  owner, under the mode's rules: by default the last player left wins).

Every sanction reaches its player at once as a ``sanction`` notification with its statement,
and is in the audit log; so is its lift (``event: lifted``, with the lift's statement). An
appeal token lets a locked player appeal without logging in.

Every write of a player's sanctions locks the player's row first (``player_lock``), then the
sanctions' rows: an impose and a lift, or two lifts, of one player's sanctions take turns, and
each reads the others' committed state before it writes the account's lock (else each saw the
other still running and left a lock with no sanction behind it, or none with one).
"""

import functools
import logging
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.locks import LOCKED_FOREVER, account_lock
from accounts.models import User
from game.rooms import game_kick_player
from game.selectors import user_unfinished_game_id
from gameplatform.chat.rooms import timestamp
from gameplatform.core.errors import ApplicationError, Conflict, NotFound, Unavailable
from matchmaking.queue.services import queue_forget
from notifications.services import notify
from safety import hooks, rules
from safety.models import Report, Sanction
from safety.mutes import MUTES
from staff import audit

logger = logging.getLogger(__name__)

APPEAL_DAYS = 180
APPEAL_TOKEN_SALT = "safety.appeal"
LOCKS = (Sanction.Action.SUSPEND, Sanction.Action.BAN)
LASTING = (Sanction.Action.MUTE, Sanction.Action.SUSPEND)
MAX_HOURS = 24 * 365 * 10


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid", extra={"fields": {field: [message]}})


def _statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise _invalid("statement", "Say why: the player reads this statement.")
    return statement


def player_lock(user_id: int) -> User | None:
    """The player's row, locked (None: no such user): the first lock of every write of their sanctions."""
    return User.objects.select_for_update().filter(pk=user_id).first()


def is_active(sanction: Sanction, now=None) -> bool:
    if sanction.lifted_at is not None or sanction.action == Sanction.Action.WARN:
        return False
    return sanction.ends_at is None or sanction.ends_at > (now or timezone.now())


def appeal_until(sanction: Sanction):
    """The end of the sanction's appeal window (``APPEAL_DAYS`` after it started)."""
    return sanction.starts_at + timedelta(days=APPEAL_DAYS) if sanction.starts_at else None


def appeal_token(sanction: Sanction) -> str:
    """A signed token naming the sanction: the appeal route takes it in place of a login."""
    return signing.dumps({"sanction": sanction.pk, "user": sanction.user_id}, salt=APPEAL_TOKEN_SALT)


def sanction_for_token(token: str) -> Sanction:
    try:
        data = signing.loads(token, salt=APPEAL_TOKEN_SALT, max_age=timedelta(days=APPEAL_DAYS))
        return Sanction.objects.get(pk=data["sanction"], user_id=data["user"])
    except (signing.BadSignature, Sanction.DoesNotExist, KeyError, TypeError):
        raise NotFound("No sanction for this appeal token.", code="not_found") from None


def payload(sanction: Sanction) -> dict:
    appeal = getattr(sanction, "appeal", None) if sanction.pk else None
    return {
        "id": sanction.pk,
        "action": sanction.action,
        "statement": sanction.statement,
        "starts_at": timestamp(sanction.starts_at),
        "ends_at": timestamp(sanction.ends_at),
        "active": is_active(sanction),
        "lifted_at": timestamp(sanction.lifted_at),
        "lift_statement": sanction.lift_statement,
        "rule": sanction.rule,
        "ground": sanction.ground,
        "facts": sanction.facts,
        "automated": sanction.automated,
        "appeal_until": timestamp(appeal_until(sanction)),
        "appeal": None
        if appeal is None
        else {
            "status": appeal.status,
            "text": appeal.text,
            "statement": appeal.statement,
            "decided_at": timestamp(appeal.decided_at),
        },
    }


def _mutes_changed() -> None:
    """This process reads the running mutes again at its next question, and again once the change
    commits (a question in between would have read them without it); the others within a second."""
    MUTES.expire()
    transaction.on_commit(MUTES.expire)


def _lock_end(user_id: int):
    """The end of the user's longest running suspension or ban (LOCKED_FOREVER for a ban), or None."""
    now = timezone.now()
    running = Sanction.objects.filter(user_id=user_id, action__in=LOCKS, lifted_at__isnull=True)
    ends = [LOCKED_FOREVER if s.ends_at is None else s.ends_at for s in running if is_active(s, now)]
    return max(ends, default=None)


def _relock(user_id: int) -> None:
    account_lock(user_id=user_id, until=_lock_end(user_id))


def _forfeit_running_game(*, staff, user_id: int) -> None:
    """A locked player leaves the game they play as if they had forfeited (the mode's rules say
    what follows), applied by its room's owner: ``game.rooms.game_kick_player``, audited as a
    kick. A game whose room nobody runs yet, or that ended meanwhile, is left to its own timers
    (a seat nobody takes ends the game as unclaimed); a room that does not answer in time is logged."""
    game_id = user_unfinished_game_id(user_id=user_id)
    if game_id is None:
        return
    try:
        game_kick_player(staff=staff, game_id=game_id, user_id=user_id)
    except Conflict:
        pass
    except Unavailable:
        logger.warning("a locked player's game %s did not answer its forfeit; its reconnect grace ends it", game_id)


def lock_details(user: User) -> dict:
    """What a locked account is told (``accounts.hooks.lock_details``): the sanction that locks
    it longest, its statement, and an appeal token for it."""
    now = timezone.now()
    running = [
        s
        for s in Sanction.objects.filter(user_id=user.pk, action__in=LOCKS, lifted_at__isnull=True)
        if is_active(s, now)
    ]
    if not running:
        return {}
    longest = max(running, key=lambda s: LOCKED_FOREVER if s.ends_at is None else s.ends_at)
    return {"sanction_id": longest.pk, "statement": longest.statement, "appeal_token": appeal_token(longest)}


@transaction.atomic
def sanction_impose(
    *,
    staff,
    user_id: int,
    action: str,
    statement: str,
    duration_hours: int | None = None,
    report=None,
    rule: str = "",
    facts: str = "",
    automated: bool = False,
) -> Sanction:
    """Impose a sanction; it holds on every process once this commits (the caller's transaction).
    Its statement of reasons: ``rule`` (a key of ``safety.rules``; none: the report's reason, else
    ``other``), whose text it keeps as its ground; ``facts`` (none: those of the report's evidence,
    ``rules.facts_from_report``, else the statement); ``automated``: whether automated means decided it."""
    if action not in Sanction.Action.values:
        raise _invalid("action", f"One of {', '.join(Sanction.Action.values)}.")
    statement = _statement(statement)
    rule = rule or (report.reason if report is not None else Report.Reason.OTHER)
    ground = rules.rule_text(rule)
    facts = (facts or "").strip() or (rules.facts_from_report(report) if report is not None else statement)
    if action in LASTING:
        if duration_hours is None or not 1 <= duration_hours <= MAX_HOURS:
            raise _invalid("duration_hours", f"A {action} lasts 1 to {MAX_HOURS} hours.")
    user = player_lock(user_id)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    now = timezone.now()
    sanction = Sanction.objects.create(
        user_id=user_id,
        action=action,
        statement=statement,
        starts_at=now,
        ends_at=now + timedelta(hours=duration_hours) if action in LASTING else None,
        created_by=staff,
        rule=rule,
        ground=ground,
        facts=facts,
        automated=automated,
    )
    if action == Sanction.Action.MUTE:
        _mutes_changed()
    # Told first: the notification goes out before the signal that closes a locked player's
    # sockets (both after commit, in this order), so an open notification socket hears why.
    notify(user_id=user_id, kind="sanction", payload={"event": "imposed", "sanction": payload(sanction)})
    if action in LOCKS:
        _relock(user_id)
        queue_forget(user_ids=[user_id])
        transaction.on_commit(functools.partial(_forfeit_running_game, staff=staff, user_id=user_id), robust=True)
    audit.record(
        staff=staff,
        action=f"sanction.{action}",
        target_type="user",
        target_id=user_id,
        target=user.username,
        detail={"sanction_id": sanction.pk, "duration_hours": duration_hours, "report_id": getattr(report, "pk", None)},
    )
    hooks.sanction_imposed(sanction)
    return sanction


def _end(sanction: Sanction, *, staff, statement: str) -> None:
    """Lift ``sanction`` now (its player's row and its own locked by the caller) and undo what it
    held: a mute stops on every process at once (``safety.mutes``), a lock ends with the account's
    longest other lock still running (none: the player signs in again)."""
    sanction.lifted_at, sanction.lifted_by, sanction.lift_statement = timezone.now(), staff, statement
    sanction.save(update_fields=["lifted_at", "lifted_by", "lift_statement"])
    if sanction.action == Sanction.Action.MUTE:
        _mutes_changed()
    if sanction.action in LOCKS:
        _relock(sanction.user_id)
    hooks.sanction_lifted(sanction)


def _told_lifted(sanction: Sanction, *, staff, user: User, detail: dict) -> None:
    notify(user_id=user.pk, kind="sanction", payload={"event": "lifted", "sanction": payload(sanction)})
    audit.record(
        staff=staff,
        action="sanction.lift",
        target_type="user",
        target_id=user.pk,
        target=user.username,
        detail={"sanction_id": sanction.pk, "action": sanction.action, "statement": sanction.lift_statement, **detail},
    )


def _locked_sanction(sanction_id: int) -> tuple[Sanction, User]:
    """The sanction and its player, both rows locked, the player's first (``player_lock``)."""
    user_id = Sanction.objects.filter(pk=sanction_id).values_list("user_id", flat=True).first()
    user = player_lock(user_id) if user_id is not None else None
    sanction = Sanction.objects.select_for_update().filter(pk=sanction_id).first() if user is not None else None
    if sanction is None:  # none, or its player's account was deleted meanwhile (and its sanctions with it)
        raise NotFound("No such sanction.", code="sanction_not_found")
    return sanction, user


@transaction.atomic
def sanction_lift(*, staff, sanction_id: int, statement: str) -> Sanction:
    """Lift a running sanction before its end (staff): it stops holding at once on every process,
    the player is told with ``statement`` (a ``sanction`` notification, ``event: lifted``), and it
    is audited (``sanction.lift``). 409 ``sanction_not_active`` for one that has ended, was lifted
    already, or is a warning (it restricts nothing)."""
    statement = _statement(statement)
    sanction, user = _locked_sanction(sanction_id)
    if not is_active(sanction):
        raise Conflict(
            "This sanction is not running: it has ended, was lifted already, or is a warning.",
            code="sanction_not_active",
        )
    _end(sanction, staff=staff, statement=statement)
    _told_lifted(sanction, staff=staff, user=user, detail={})
    return sanction


def _same_case(sanction: Sanction) -> list[int]:
    """The other sanctions imposed on reports of the same case as ``sanction``: reports of its
    player about the same place (a lobby, a game, a group, a DM thread) that were in the queue
    together with one of its own reports (one incident that several players reported, each
    report decided on its own). A report that names no place makes no case with another."""
    found: set[int] = set()
    for report in sanction.reports.exclude(context={}).exclude(resolved_at__isnull=True):
        found.update(
            Report.objects.filter(
                user_id=sanction.user_id,
                context=report.context,
                sanction__isnull=False,
                created_at__lte=report.resolved_at,
                resolved_at__gte=report.created_at,
            ).values_list("sanction_id", flat=True)
        )
    found.discard(sanction.pk)
    return sorted(found)


@transaction.atomic
def sanction_reverse(*, staff, sanction: Sanction, statement: str, appeal_id: int) -> list[Sanction]:
    """A reversed appeal (``appeals.appeal_decide``, which locked the player's row, then the
    appeal's and the sanction's): the sanction is lifted whatever its state (the record says it
    was reversed; the caller tells its player of the decision), and so is every other running
    sanction of the same case (``_same_case``: the decision on those facts was wrong), each told
    and audited as a lift. Returns the others it lifted."""
    if sanction.lifted_at is None:
        _end(sanction, staff=staff, statement=statement)
    user = User.objects.get(pk=sanction.user_id)
    lifted = []
    for other in Sanction.objects.select_for_update().filter(pk__in=_same_case(sanction)).order_by("pk"):
        if is_active(other):
            _end(other, staff=staff, statement=statement)
            _told_lifted(other, staff=staff, user=user, detail={"appeal_id": appeal_id, "case_of": sanction.pk})
            lifted.append(other)
    return lifted
