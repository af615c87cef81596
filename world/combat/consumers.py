"""The combat frames of the world socket (a mixin of ``world.consumers.WorldConsumer``).

``combat_start`` and ``combat_action`` run ``world.combat.services``; every frame they cause goes to the
area after commit. A character defeated in a fight respawns at its faction's home: the service
moves it in the database and signals its world socket (``combat_respawn``), which then moves
its groups and presence as a move would.
"""

from gameplatform.data import db
from gameplatform.http import serializers
from gameplatform.sockets.consumers import receives
from world.combat import services


class TargetInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["enemy", "character"])
    id = serializers.IntegerField(min_value=1)


class CombatStartInput(serializers.Serializer):
    target = TargetInput()


class CombatActionInput(serializers.Serializer):
    combat_id = serializers.IntegerField(min_value=1)
    action_type = serializers.ChoiceField(choices=list(services.ACTION_TYPES))
    target_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    ability_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    item_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    # Anything else a client sends (damage, amount, health...) is not read.


class CombatFrames:
    combat_frame_types: frozenset[str] = frozenset({"combat_start", "combat_action"})

    @receives(
        CombatStartInput,
        errors=("already_in_combat", "character_not_found", "forbidden", "not_contested", "target_not_found"),
    )
    async def handle_combat_start(self, frame: dict) -> None:
        """`{target: {kind: "enemy" | "character", id}}`: start a fight in my area."""
        data = self.validate(CombatStartInput, frame)
        target = data["target"]
        await db.run(services.combat_start, character_id=self.character.pk, kind=target["kind"], target_id=target["id"])

    @receives(
        CombatActionInput,
        errors=("combat_not_found", "combat_over", "insufficient_funds", "invalid_target", "not_enough_stamina"),
    )
    async def handle_combat_action(self, frame: dict) -> None:
        """`{combat_id, action_type, target_id, ability_name?, item_id?}`: act; the server computes the effect."""
        data = self.validate(CombatActionInput, frame)
        await services.COOLDOWNS[data["action_type"]].aspend(self.character.pk)
        await db.run(
            services.combat_action,
            character_id=self.character.pk,
            combat_id=data["combat_id"],
            action_type=data["action_type"],
            target_id=data.get("target_id"),
        )

    async def combat_moved(self, from_location_id: int, to_location_id: int) -> None:
        """The character moved to another area: its combats end."""
        await db.run(services.combats_end_for, character_id=self.character.pk, reason="moved")

    async def combat_disconnected(self) -> None:
        """The world socket closed: its combats end."""
        if self.character is not None:
            await db.run_always(services.combats_end_for, character_id=self.character.pk, reason="disconnected")

    async def hub_deliver(self, message: dict) -> None:
        if message.get("signal") == "combat_respawn" and not self.closing and self.accepted:
            to_location_id = int(message.get("data", {})["to_location_id"])
            self.then_in_order(lambda: self._combat_respawn(to_location_id))
            return
        await super().hub_deliver(message)

    async def _combat_respawn(self, there: int) -> None:
        """Defeated: the character stands at its faction's home now (stored); follow it there."""
        here = self.location_id
        if here == there or self.closing:
            return
        await self.relocate(here, there)
