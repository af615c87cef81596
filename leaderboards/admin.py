from django import forms
from django.contrib import admin

from gameplatform.backoffice import AuditedAdmin, ReadOnlyAdmin, refusal_as_form_error
from leaderboards import services
from leaderboards.models import Entry, Leaderboard, Payout, Record, Tournament
from staff.permissions import has_role
from staff.roles import LIVEOPS


class LeaderboardForm(forms.ModelForm):
    class Meta:
        model = Leaderboard
        fields = ["id", "sort", "operator", "reset", "authoritative", "metadata"]

    def clean_reset(self) -> str:
        """The API's check: a cron the reset timer can schedule, or a form error."""
        with refusal_as_form_error():
            return services.leaderboard_reset_clean(self.cleaned_data.get("reset"))


@admin.register(Leaderboard)
class LeaderboardAdmin(AuditedAdmin):
    form = LeaderboardForm
    list_display = ["id", "sort", "operator", "reset", "authoritative", "period", "next_reset_at"]
    list_filter = ["sort", "operator", "authoritative"]
    search_fields = ["id"]
    readonly_fields = ["period", "period_started_at", "next_reset_at", "record_count"]

    def has_add_permission(self, request) -> bool:
        # The service makes a board for staff in the role ``liveops`` only: the page offers no add it would refuse.
        return has_role(request, LIVEOPS) and super().has_add_permission(request)

    def get_readonly_fields(self, request, obj=None):
        # The id names the board's records and the clients' routes: fixed once made, as through the API.
        return [*self.readonly_fields, "id"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Through the services, as the API writes: a new board gets its next reset time, and an
        edit writes only the fields it changed (a new cron reschedules the next reset)."""
        if change:
            edited = {field: getattr(obj, field) for field in form.changed_data}
            if edited:
                obj.next_reset_at = services.leaderboard_edit(board_id=obj.pk, **edited).next_reset_at
            return
        services.leaderboard_create(
            actor=request.user,
            id=obj.pk,
            sort=obj.sort,
            operator=obj.operator,
            reset=obj.reset,
            authoritative=obj.authoritative,
            metadata=obj.metadata,
        )


@admin.register(Record)
class RecordAdmin(AuditedAdmin):
    list_display = ["id", "board", "period", "user", "score", "reached_at", "updated_at"]
    list_filter = ["board"]
    search_fields = ["user__username", "board__id"]
    raw_id_fields = ["user"]

    # Records come from the service, which counts them per board (ranks rely on the count);
    # a board's records go with the board.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tournament)
class TournamentAdmin(AuditedAdmin):
    list_display = ["board", "title", "start", "end", "entry_count", "max_entries", "entry_fee", "ended_at"]
    search_fields = ["board__id", "title"]
    readonly_fields = ["entry_count", "ended_at"]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    """Entries are made by joining, which charges the fee and counts the seat in the same transaction."""

    list_display = ["id", "tournament", "user", "fee_paid", "joined_at"]
    search_fields = ["user__username", "tournament__board__id"]
    raw_id_fields = ["user"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    """Payouts are made with their ledger entry at the end; the unique row is what pays a rank once."""

    list_display = ["id", "tournament", "user", "rank", "gold", "paid_at"]
    search_fields = ["user__username", "tournament__board__id"]
    raw_id_fields = ["user"]
