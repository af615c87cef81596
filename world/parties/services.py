"""Parties: up to ``PARTY_MAX`` characters, one of them the leader.

A user acts through their selected character (409 ``no_character`` without one). Every change to
a party locks its row first (``select_for_update``), so joins, leaves, kicks and a disband of one
party happen one after the other; ``member_count`` moves with ``F()`` under that lock, and the
database's check constraint makes a sixth member impossible to write even so. A character is in
one party at most (``PartyMember.character`` is one-to-one).

Invites into a party are invites of kind ``party`` in matchmaking's lifecycle; the world registers
the kind (``party_invite_check``, ``party_invite_accept``) in ``WorldConfig.ready``.

After each change (on commit) every member's world socket gets ``party_update {party}`` and a member
who left, was kicked or whose party was disbanded gets ``party_update {party: null, party_id}``;
both go to the users' world groups (``world_user_group``). The one who joined or is out gets the
frame inside a ``party_joined`` / ``party_left`` signal: the socket joins or leaves the party's chat
group first, then sends it (``world.parties.consumers``).
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from gameplatform.broadcast.groups import world_user_group
from gameplatform.broadcast.realtime import broadcast_on_commit, signal_on_commit
from gameplatform.core.errors import Conflict, Forbidden, NotFound
from world.models import PARTY_MAX, Character, Party, PartyMember

User = get_user_model()


# --- payloads and reads ----------------------------------------------------------------------


def party_payload(party: Party) -> dict:
    members = PartyMember.objects.filter(party=party).select_related("character").order_by("joined_at", "id")
    return {
        "id": party.pk,
        "leader": party.leader_id,
        "members": [{"character_id": m.character_id, "name": m.character.name} for m in members],
        "max_size": PARTY_MAX,
    }


def party_update_frame(party: Party | None, *, party_id: int) -> dict:
    return {"type": "party_update", "party": party_payload(party) if party is not None else None, "party_id": party_id}


def _selected(user_id: int) -> Character:
    character = Character.objects.filter(user_id=user_id, selected=True).first()
    if character is None:
        raise Conflict("Select a character first.", code="no_character")
    return character


def party_id_of_character(*, character_id: int) -> int | None:
    """The party a character is in now (the world socket's chat group); None when in none."""
    return PartyMember.objects.filter(character_id=character_id).values_list("party_id", flat=True).first()


def party_frame_of_character(*, character_id: int) -> dict | None:
    """``party_update {party}`` for a world socket that just opened; None when not in a party."""
    party = Party.objects.filter(members__character_id=character_id).first()
    return party_update_frame(party, party_id=party.pk) if party is not None else None


def party_get(*, party_id: int, user: User) -> dict:
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        raise NotFound("No such party.", code="party_not_found")
    character = _selected(user.pk)
    if not PartyMember.objects.filter(party=party, character=character).exists():
        raise Forbidden("Only members see a party.", code="not_member")
    return party_payload(party)


def _my_party_locked(user_id: int) -> tuple[Character, Party]:
    """The selected character and its party, the party's row locked; 403 ``not_member`` in none."""
    character = _selected(user_id)
    for _ in range(3):
        party_id = party_id_of_character(character_id=character.pk)
        if party_id is None:
            break
        party = Party.objects.select_for_update().filter(pk=party_id).first()
        # Re-read under the lock: the character may have left (or the party gone) meanwhile.
        if party is not None and PartyMember.objects.filter(party=party, character=character).exists():
            return character, party
    raise Forbidden("You are not in a party.", code="not_member")


def _require_leader(party: Party, character: Character) -> None:
    if party.leader_id != character.pk:
        raise Forbidden("Only the party's leader can do that.", code="not_leader")


# --- notifications (after commit) ----------------------------------------------------------------


def _announce(party: Party, *, joined: Character | None = None) -> None:
    """``party_update {party}`` to each member's world socket. The one who just joined gets it inside
    the ``party_joined`` signal: their socket joins the party's group first, then sends the frame,
    so party chat sent after ``party_update`` reaches them too."""
    frame = party_update_frame(party, party_id=party.pk)
    members = PartyMember.objects.filter(party=party).values_list("character_id", "character__user_id")
    for character_id, user_id in members:
        if joined is not None and character_id == joined.pk:
            signal_on_commit(
                world_user_group(user_id), "party_joined", character_id=character_id, party_id=party.pk, frame=frame
            )
        else:
            broadcast_on_commit(world_user_group(user_id), frame)


def _removed(character: Character, party_id: int) -> None:
    """The character is out: its socket leaves the party's group, then sends ``party_update {party: null}``."""
    frame = party_update_frame(None, party_id=party_id)
    signal_on_commit(
        world_user_group(character.user_id), "party_left", character_id=character.pk, party_id=party_id, frame=frame
    )


# --- changes -------------------------------------------------------------------------------------


@transaction.atomic
def party_create(*, user: User) -> Party:
    character = _selected(user.pk)
    if PartyMember.objects.filter(character=character).exists():
        raise Conflict("You are already in a party.", code="already_in_party")
    try:
        with transaction.atomic():
            party = Party.objects.create(leader=character, member_count=1)
            PartyMember.objects.create(party=party, character=character)
    except IntegrityError:  # the same character joined or made a party a moment ago
        raise Conflict("You are already in a party.", code="already_in_party") from None
    _announce(party, joined=character)
    return party


def party_join(*, party_id: int, user_id: int) -> Party:
    """The user's selected character joins (an accepted invite). Runs inside the caller's transaction."""
    character = _selected(user_id)
    party = Party.objects.select_for_update().filter(pk=party_id).first()
    if party is None:
        raise NotFound("That party no longer exists.", code="party_not_found")
    if PartyMember.objects.filter(character=character).exists():
        raise Conflict("You are already in a party.", code="already_in_party")
    if party.member_count >= PARTY_MAX:
        raise Conflict(f"The party is full ({PARTY_MAX}).", code="party_full")
    try:
        with transaction.atomic():
            Party.objects.filter(pk=party.pk).update(member_count=F("member_count") + 1)
            PartyMember.objects.create(party=party, character=character)
    except IntegrityError as exc:
        if "party_max_size" in str(exc):
            raise Conflict(f"The party is full ({PARTY_MAX}).", code="party_full") from None
        raise Conflict("You are already in a party.", code="already_in_party") from None
    _announce(party, joined=character)
    return party


def _remove(party: Party, character: Character) -> Party | None:
    """Take a member out of a locked party: the leader hands over to the longest member, the last
    one out disbands. The party afterwards, or None when it is gone."""
    PartyMember.objects.filter(party=party, character=character).delete()
    Party.objects.filter(pk=party.pk).update(member_count=F("member_count") - 1)
    _removed(character, party.pk)
    longest = PartyMember.objects.filter(party=party).order_by("joined_at", "id").first()
    if longest is None:
        party.delete()
        return None
    if party.leader_id == character.pk:
        party.leader_id = longest.character_id
        party.save(update_fields=["leader"])
    party.refresh_from_db()
    _announce(party)
    return party


def _cancel_invites_after_commit(party_id: int) -> None:
    from matchmaking.invites.services import invites_cancel_for_party

    transaction.on_commit(lambda: invites_cancel_for_party(party_id=party_id), robust=True)


@transaction.atomic
def party_leave(*, user: User) -> Party | None:
    character, party = _my_party_locked(user.pk)
    party_id = party.pk
    remaining = _remove(party, character)
    if remaining is None:
        _cancel_invites_after_commit(party_id)
    return remaining


@transaction.atomic
def party_kick(*, user: User, character_id: int) -> Party:
    character, party = _my_party_locked(user.pk)
    _require_leader(party, character)
    if int(character_id) == character.pk:
        raise Conflict("Leave the party instead of kicking yourself.", code="cannot_kick_self")
    member = PartyMember.objects.filter(party=party, character_id=character_id).select_related("character").first()
    if member is None:
        raise NotFound("That character is not in your party.", code="member_not_found")
    return _remove(party, member.character)


def _disband(party: Party) -> None:
    members = [m.character for m in PartyMember.objects.filter(party=party).select_related("character")]
    for member in members:
        _removed(member, party.pk)
    _cancel_invites_after_commit(party.pk)
    party.delete()


@transaction.atomic
def party_disband(*, user: User) -> None:
    character, party = _my_party_locked(user.pk)
    _require_leader(party, character)
    _disband(party)


def party_character_deleted(character: Character) -> None:
    """A character is about to be deleted (``world.services``: by its player, the admin or its
    user's deletion): a member leaves its party; a leader's party is disbanded (``Party.leader``
    cascades, so it would go with them)."""
    party_id = party_id_of_character(character_id=character.pk)
    if party_id is None:
        return
    with transaction.atomic():
        party = Party.objects.select_for_update().filter(pk=party_id).first()
        if party is None or not PartyMember.objects.filter(party=party, character=character).exists():
            return
        if party.leader_id == character.pk:
            _disband(party)
        else:
            _remove(party, character)


# --- invites of kind "party" (registered in WorldConfig.ready) ------------------------------------


def party_invite(*, user: User, character_id: int):
    """Leader only: invite a character (its user receives the invite) into my party. Not atomic:
    the invite's rate limit (Redis) stays outside a transaction; ``party_invite_check`` runs again
    inside ``invite_create`` and the accept re-checks everything under the party's lock."""
    from matchmaking.invites.services import invite_create
    from matchmaking.models import Invite

    character = _selected(user.pk)
    party_id = party_id_of_character(character_id=character.pk)
    party = Party.objects.filter(pk=party_id).first() if party_id is not None else None
    if party is None:
        raise Forbidden("You are not in a party.", code="not_member")
    _require_leader(party, character)
    target = Character.objects.filter(pk=character_id).first()
    if target is None:
        raise NotFound("No such character.", code="character_not_found")
    if PartyMember.objects.filter(character=target).exists():
        raise Conflict("That character is already in a party.", code="already_in_party")
    return invite_create(from_user=user, to_user_id=target.user_id, kind=Invite.Kind.PARTY, party_id=party.pk)


def party_invite_check(sender: User, party_id: int) -> None:
    """At invite creation: the sender's selected character leads that party and it has room."""
    character = _selected(sender.pk)
    party = Party.objects.filter(pk=party_id).first()
    if party is None:
        raise NotFound("No such party.", code="party_not_found")
    if not PartyMember.objects.filter(party=party, character=character).exists():
        raise Forbidden("You are not in that party.", code="not_member")
    _require_leader(party, character)
    if party.member_count >= PARTY_MAX:
        raise Conflict(f"The party is full ({PARTY_MAX}).", code="party_full")


def party_invite_accept(invite) -> dict:
    """Inside the accepting transaction: the receiver's selected character joins the party."""
    party_join(party_id=invite.party_id, user_id=invite.to_user_id)
    return {"party_id": invite.party_id}
