from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from matchmaking.exports import PARTS

        register_parts(PARTS)

        from friends import hooks as friends
        from game import hooks as game
        from matchmaking.invites.selectors import pending_invite_count
        from matchmaking.invites.services import invites_cancel_between
        from matchmaking.queue.services import queue_forget, queue_take_back
        from notifications import hooks as notifications

        # Players who got a game another way (invite, lobby) leave the queue.
        game.game_created.register(lambda user_ids: queue_forget(user_ids=user_ids))
        # A match called off before its start (a player never came): the others queue again, in front.
        game.game_called_off.register(queue_take_back)
        # A block cancels the pending invites between the two.
        friends.block_started.register(lambda a_id, b_id: invites_cancel_between(user_a_id=a_id, user_b_id=b_id))
        notifications.badge_count.register("pending_invites", pending_invite_count)
