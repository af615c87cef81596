from django.contrib import admin

from game.models import Game, GamePlayer, GameReplay, Rating
from gameplatform.backoffice import AuditedAdmin


class GamePlayerInline(admin.TabularInline):
    model = GamePlayer
    extra = 0
    raw_id_fields = ["user"]
    fields = ["seat", "user", "side", "score", "ready", "connected", "forfeited", "disconnected_at", "rating_change"]
    readonly_fields = ["disconnected_at", "rating_change"]


@admin.register(Game)
class GameAdmin(AuditedAdmin):
    list_display = ["id", "mode", "state", "reason", "winner", "lobby_id", "move_count", "created_at", "finished_at"]
    list_filter = ["mode", "state", "reason"]
    search_fields = ["=id", "players__user__username"]
    raw_id_fields = ["winner", "turn"]
    readonly_fields = ["version", "rated", "created_at", "started_at", "finished_at"]
    inlines = [GamePlayerInline]
    date_hierarchy = "created_at"

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, True  # the players join can repeat a game


@admin.register(Rating)
class RatingAdmin(AuditedAdmin):
    list_display = ["user", "mode", "rating", "wins", "losses", "draws", "updated_at"]
    list_filter = ["mode"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(GameReplay)
class GameReplayAdmin(AuditedAdmin):
    list_display = ["game", "mode_version", "created_at"]
    raw_id_fields = ["game"]
    readonly_fields = ["game", "mode_version", "grace", "created_at"]
    exclude = ["log"]
    date_hierarchy = "created_at"
