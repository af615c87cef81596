"""Characters: create, select and delete, with the contract's rules.

Every change to a user's characters locks that user's row first, so two requests of one
user (a fourth character created twice at once, two selects) happen one after the
other; the database's constraints (a name unique whatever its case, one selected
character per user) make the wrong state impossible to write even so.
"""

import random
import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from friends.selectors import is_blocked_between
from gameplatform.broadcast.groups import world_group, world_user_group
from gameplatform.broadcast.realtime import broadcast_on_commit, signal_on_commit
from gameplatform.chat import speech
from gameplatform.core.errors import ApplicationError, Conflict, Forbidden, NotFound
from gameplatform.data.ratelimit import Budget
from staff import audit
from staff.permissions import role_require
from staff.roles import LIVEOPS
from world import events
from world.areas import users_in_area
from world.models import (
    CHARACTER_NAME_MAX,
    MAX_CHARACTERS,
    Character,
    Combat,
    Enemy,
    Faction,
    Location,
    Shard,
    Trade,
    WorldEvent,
    WorldState,
)
from world.parties.services import party_character_deleted

User = get_user_model()

# Letters, digits, spaces and underscores; no space at either end, none twice in a row.
NAME_PATTERN = re.compile(rf"^(?=.{{3,{CHARACTER_NAME_MAX}}}$)[A-Za-z0-9_]+( [A-Za-z0-9_]+)*$")
NAME_RULE = "3 to 24 letters, digits, underscores and single spaces, no space at either end."

# Signals to the user's world sockets (``world_user_group``), on every process, after commit:
# the character a socket plays was deleted (it closes 4404), or another one was selected (4409).
CHARACTER_DELETED = "character_deleted"
CHARACTER_SELECTED = "character_selected"


def faction_named(value: int | str) -> Faction | None:
    """A faction by its id or its name (any case); None when there is none (or it has no home)."""
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()):
        found = Faction.objects.filter(pk=int(value))
    else:
        found = Faction.objects.filter(name__iexact=str(value).strip())
    return found.filter(home_location__isnull=False).first()


@transaction.atomic
def character_create(*, user: User, name: str, faction: Faction) -> Character:
    if not NAME_PATTERN.match(name):
        raise ApplicationError(NAME_RULE, code="invalid")
    speech.name_checked(name)  # other players see it: in their area, in chat, in whispers
    User.objects.select_for_update().filter(pk=user.pk).get()
    existing = Character.objects.filter(user=user).count()
    if existing >= MAX_CHARACTERS:
        raise Conflict(f"At most {MAX_CHARACTERS} characters per user.", code="too_many_characters")
    if Character.objects.filter(name__iexact=name).exists():
        raise Conflict("That name is taken.", code="name_taken")
    try:
        with transaction.atomic():
            return Character.objects.create(
                user=user,
                name=name,
                faction=faction,
                location_id=faction.home_location_id,
                selected=existing == 0,  # a user's first character is selected at once
            )
    except IntegrityError as exc:  # another user took the name a moment ago
        raise Conflict("That name is taken.", code="name_taken") from exc


def _own_character(*, user: User, character_id: int) -> Character:
    """One of the user's characters, with the user's row locked (their characters change one at a
    time); 404 ``character_not_found`` for anyone else's."""
    User.objects.select_for_update().filter(pk=user.pk).get()
    character = Character.objects.filter(pk=character_id, user=user).first()
    if character is None:
        raise NotFound("No such character.", code="character_not_found")
    return character


@transaction.atomic
def character_select(*, user: User, character_id: int) -> Character:
    character = _own_character(user=user, character_id=character_id)
    Character.objects.filter(user=user, selected=True).exclude(pk=character.pk).update(selected=False)
    if not character.selected:
        character.selected = True
        character.save(update_fields=["selected"])
        signal_on_commit(world_user_group(user.pk), CHARACTER_SELECTED, character_id=character.pk)
    return character


@transaction.atomic
def character_delete(*, user: User, character_id: int) -> None:
    character = _own_character(user=user, character_id=character_id)
    running_trade = Trade.objects.filter(
        Q(from_character=character) | Q(to_character=character),
        status__in=[Trade.Status.REQUESTED, Trade.Status.OPEN],
    )
    running_combat = Combat.objects.filter(Q(attacker=character) | Q(defender=character), status=Combat.Status.ACTIVE)
    if running_trade.exists() or running_combat.exists():
        raise Conflict("The character is in a running trade or combat.", code="character_busy")
    _remove(character)


@transaction.atomic
def character_remove(*, character: Character) -> None:
    """Staff only (the admin): the character goes whatever it is doing, as ``character_delete``
    takes it."""
    User.objects.select_for_update().filter(pk=character.user_id).get()
    _remove(character)


def characters_of_user_remove(user: User) -> None:
    """A user is being deleted (accounts' ``user_deleting`` hook, the user's row locked): each of their
    characters goes as ``character_delete`` takes it, before the cascade would."""
    for character in Character.objects.filter(user=user).order_by("pk"):
        _remove(character)


def _remove(character: Character) -> None:
    """Under the user's row lock: the character leaves its party (a leader's party is disbanded),
    its row goes and its world socket closes (4404 ``character_deleted``). Every deletion of a
    character goes through here (a raw ``delete()`` would leave its party's count behind)."""
    character_id = character.pk
    party_character_deleted(character)
    character.delete()
    signal_on_commit(world_user_group(character.user_id), CHARACTER_DELETED, character_id=character_id)


def _event(kind: str, payload: dict) -> WorldEvent:
    return WorldEvent.objects.create(kind=kind, payload=payload)


@transaction.atomic
def announcement_post(*, user: User, message: str) -> WorldEvent:
    """Staff in the role ``liveops`` (or ``admin``): a ``world_announcement`` to every world
    socket, kept as an event, and audited. A player is refused ``forbidden`` (as the contract's
    socket frame says); staff without the role ``permission_denied``."""
    if not user.is_staff:
        raise Forbidden("Only staff make world announcements.", code="forbidden")
    role_require(user, LIVEOPS)
    event = _event(WorldEvent.Kind.ANNOUNCEMENT, {"message": message, "from": user.username})
    audit.record(
        staff=user,
        action="world.announcement",
        target_type="world.worldevent",
        target_id=event.pk,
        target=message,
        detail={"message": message},
    )
    broadcast_on_commit(world_group(), events.world_announcement(event))
    return event


# --- movement -------------------------------------------------------------------------

# One move per second per character, on every socket and process.
MOVE_RATE = Budget("world:move", limit=1, window=1.0, what="moves")


def _require_neighbour(character: Character | None, to_location_id: int) -> None:
    if character is None:
        raise NotFound("No such character.", code="character_not_found")
    here = character.location_id
    if not Location.neighbours.through.objects.filter(from_location_id=here, to_location_id=to_location_id).exists():
        raise ApplicationError("You can only move to a neighbouring location.", code="illegal_move")


def character_move_check(*, character_id: int, to_location_id: int) -> None:
    """Raise what ``character_move`` would (``character_not_found``, ``illegal_move``), writing
    nothing: a refused move must not spend the move budget (``MOVE_RATE``), so it is checked first."""
    _require_neighbour(Character.objects.filter(pk=character_id).first(), to_location_id)


@transaction.atomic
def character_move(*, character_id: int, to_location_id: int) -> tuple[int, int]:
    """Move along the location graph to a neighbour; ``(from, to)`` location ids. The move is stored,
    and the character's own world socket gets ``character_update``."""
    locked = Character.objects.select_for_update(of=("self",)).select_related("faction")
    character = locked.filter(pk=character_id).first()
    _require_neighbour(character, to_location_id)
    here = character.location_id
    character.location_id = to_location_id
    character.save(update_fields=["location"])
    broadcast_on_commit(world_user_group(character.user_id), events.character_update(character))
    return here, to_location_id


def character_position_save(*, character_id: int, position: dict) -> None:
    """The last reported position, written when the world socket closes (never per frame)."""
    Character.objects.filter(pk=character_id).update(position=position)


# --- chat -------------------------------------------------------------------------------


def whisper_target(*, sender_user_id: int, name: str) -> Character:
    """The character a whisper goes to; refused when either user blocks the other."""
    target = Character.objects.filter(name__iexact=name.strip()).select_related("faction").first()
    if target is None:
        raise NotFound("No character has that name.", code="character_not_found")
    if is_blocked_between(user_a_id=sender_user_id, user_b_id=target.user_id):
        raise Forbidden("One of you blocks the other.", code="forbidden")
    return target


# --- shards ---------------------------------------------------------------------------------


@transaction.atomic
def shard_capture(*, character_id: int, shard_id: int) -> Shard:
    """Capture a shard: standing at its location, with no character of its owners there.

    The shard's row is locked, so of two captures at once one wins and the other sees the
    new owner; ``shard_captured`` and ``shard_status`` go to every world socket after commit.
    """
    shard = Shard.objects.select_for_update().filter(pk=shard_id).first()
    if shard is None:
        raise NotFound("No such shard.", code="shard_not_found")
    character = Character.objects.select_related("faction").filter(pk=character_id).first()
    if character is None:  # deleted while its socket was still open
        raise NotFound("No such character.", code="character_not_found")
    if character.location_id != shard.location_id:
        raise Forbidden("Stand at the shard's location to capture it.", code="not_at_shard")
    if shard.owner_faction_id == character.faction_id:
        raise Conflict("Your faction holds this shard already.", code="already_owned")
    if shard.owner_faction_id is not None:
        here = users_in_area(shard.location_id)
        defended = Character.objects.filter(
            user_id__in=here, selected=True, location_id=shard.location_id, faction_id=shard.owner_faction_id
        ).exists()
        if defended:
            raise Conflict("The shard is defended: its faction has a character here.", code="shard_defended")
    shard.owner_faction = character.faction
    shard.captured_at = timezone.now()
    shard.save(update_fields=["owner_faction", "captured_at"])
    _event(WorldEvent.Kind.SHARD_CAPTURED, events.shard_captured_payload(shard, character))
    broadcast_on_commit(world_group(), events.shard_captured(shard, character))
    broadcast_on_commit(world_group(), events.shard_status(shard))
    return shard


# --- world events ---------------------------------------------------------------------------

REALITIES = ["prime", "shattered", "twilight", "verdant", "abyssal"]
WORLD_EVENT_KINDS = ("reality_shift", "aetherfall")


@transaction.atomic
def world_event_fire(*, kind: str) -> WorldEvent:
    """A reality shift (the current reality changes for everyone) or an aetherfall at a location."""
    if kind == WorldEvent.Kind.REALITY_SHIFT:
        state, _ = WorldState.objects.select_for_update().get_or_create(pk=1)
        state.current_reality = random.choice([r for r in REALITIES if r != state.current_reality])
        state.save(update_fields=["current_reality", "changed_at"])
        event = _event(kind, {"reality": state.current_reality})
        broadcast_on_commit(world_group(), events.reality_shift(event))
    elif kind == WorldEvent.Kind.AETHERFALL:
        location = Location.objects.order_by("?").first()
        if location is None:
            raise NotFound("The world has no locations.")
        payload = {"location_id": location.pk, "location_name": location.name, "intensity": random.randint(1, 5)}
        event = _event(kind, payload)
        broadcast_on_commit(world_group(), events.aetherfall(event))
    else:
        raise ApplicationError(f"Unknown world event {kind!r}.", code="invalid")
    return event


def world_event_due(*, now=None) -> WorldEvent | None:
    """The timer's body: fire one event when it is due. Claimed by a conditional update, so
    however many runners look at once, exactly one fires it."""
    every = settings.WORLD_EVENT_SECONDS
    if not every:
        return None
    now = now or timezone.now()
    state, _ = WorldState.objects.get_or_create(pk=1)
    if state.next_event_at is None:
        WorldState.objects.filter(pk=1, next_event_at__isnull=True).update(next_event_at=now + timedelta(seconds=every))
        return None
    claimed = WorldState.objects.filter(pk=1, next_event_at__lte=now).update(
        next_event_at=now + timedelta(seconds=every)
    )
    if claimed != 1:
        return None
    # An aetherfall needs a location: a world without any (a fresh install, no demo data)
    # still gets its reality shifts, and the timer never fails.
    kinds = WORLD_EVENT_KINDS if Location.objects.exists() else (WorldEvent.Kind.REALITY_SHIFT,)
    return world_event_fire(kind=random.choice(kinds))


def enemies_respawn_due() -> int:
    """Defeated enemies whose time has come are back at full health (idempotent)."""
    return Enemy.objects.filter(respawn_at__lte=timezone.now()).update(health=F("max_health"), respawn_at=None)
