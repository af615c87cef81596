"""``/ws/battle/{battle_id}/``: participants only; attacks and chat go through the services."""

from gameplatform.broadcast.groups import battle_group
from gameplatform.broadcast.realtime import agroup_send
from gameplatform.data import db
from gameplatform.http import serializers
from gameplatform.sockets.consumers import BaseConsumer, receives
from progression import events, selectors, services
from progression.serializers import BattleSerializer


class ChatInput(serializers.Serializer):
    message = serializers.CharField(max_length=500, trim_whitespace=True)


def _battle_state(battle_id: int) -> dict:
    return BattleSerializer(selectors.battle_get(battle_id=battle_id)).data


class BattleConsumer(BaseConsumer):
    """``/ws/battle/{battle_id}/``: a cooperative battle against one enemy; participants only."""

    client_types = frozenset({"attack", "chat"})
    server_frames = {
        "connected": "`{battle}`: the battle, on connect.",
        "player_joined": "`{user_id, username}`: a participant's socket opened.",
        "player_left": "`{user_id, username}`: a participant's socket closed.",
        "participant_joined": "`{battle_id, user_id, username}`: someone joined the battle.",
        "attack": "`{user_id, damage, enemy_hp}`: a participant hit the enemy (damage computed by the server).",
        "enemy_defeated": "`{battle_id, ...}`: the enemy is down, once; participants may claim loot.",
        "chat": "`{user_id, username, message}`: battle chat.",
    }

    async def on_connect(self) -> None:
        self.battle_id = int(self.scope["url_route"]["kwargs"]["battle_id"])
        await db.run(services.battle_require_participant, battle_id=self.battle_id, user_id=self.user_id)
        self.group = battle_group(self.battle_id)
        await self.join_group(self.group)

    async def on_accepted(self) -> None:
        battle = await db.run(_battle_state, self.battle_id)
        await self.send_frame({"type": "connected", "battle": battle})
        await agroup_send(self.group, events.presence("player_joined", user=self.user), skip_user=self.user_id)

    async def on_disconnect(self, code) -> None:
        await agroup_send(self.group, events.presence("player_left", user=self.user), skip_user=self.user_id)

    @receives(errors=("attack_cooldown", "battle_over", "not_found", "not_participant"))
    async def handle_attack(self, frame: dict) -> None:
        """Attack the enemy: the server computes the damage (a client's numbers are ignored); with a cooldown."""
        # Any "damage" the client sends is ignored: the service computes it.
        await db.run(services.battle_attack, user=self.user, battle_id=self.battle_id)

    @receives(ChatInput, errors=("muted",))
    async def handle_chat(self, frame: dict) -> None:
        """`{message}`: say something to the battle (up to 500 characters)."""
        data = self.validate(ChatInput, frame)
        await services.abattle_chat_post(battle_id=self.battle_id, user=self.user, message=data["message"])
