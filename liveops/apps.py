from django.apps import AppConfig


class LiveopsConfig(AppConfig):
    name = "liveops"
    verbose_name = "live operations"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from liveops.exports import PARTS

        register_parts(PARTS)

        from game import hooks as game
        from gameplatform.rooms import flags as mode_flags
        from liveops import evaluation, selectors
        from liveops.analytics import services as analytics
        from progression import hooks as progression

        # A game's mode reads flags through ``ctx.flag``: the game's values and each player's, taken
        # when its room is made (gameplatform.rooms.flags; the kit knows no app).
        mode_flags.flags_at_start.register(evaluation.flags_of_game)
        # The shop's random boxes follow LOOTBOX_RULES by the country the player's client declared,
        # when the balancer sent none.
        progression.player_country.register(selectors.country_of)
        # A finished game's XP (game.rewards, each player's xp_multiplier as the game fixed it) is
        # recorded as their game_finished goal event (experiments on XP are read by it), one insert a batch.
        game.players_rewarded.register(analytics.games_finished_record)
