"""The moderation queue in the admin: reports oldest first, the evidence laid out, the user's
history, and the decision in the report's own form (dismiss, warn, mute, suspend, ban, with the
statement the player reads). Sanctions are records, read only; appeals are decided in their form.
Every decision goes through the services, so it is the same as over the API and is audited."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from gameplatform.admin import ReadOnlyAdmin
from gameplatform.errors import ApplicationError
from safety import appeals, reports
from safety.models import Appeal, Report, Sanction


class ReportDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=[("", "(keep open)")] + [(a, a) for a in reports.RESOLUTIONS], required=False)
    duration_hours = forms.IntegerField(min_value=1, required=False, help_text="mute and suspend: how many hours")
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="the player reads it"
    )

    class Meta:
        model = Report
        fields = []


def decide(model_admin, request, decision) -> None:
    """Run a form's decision (a service call; nothing when the form kept it open) and say on the
    page why it was refused, if it was: the form's save never writes the record itself."""
    if not decision:
        return
    try:
        decision()
    except ApplicationError as exc:
        model_admin.message_user(request, f"Not done: {exc.message} {exc.extra or ''}", level=messages.ERROR)


def _messages_table(messages_: list[dict]) -> str:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((m.get("created_at", ""), m.get("sender", ""), m.get("content", "")) for m in messages_),
    )
    return format_html("<table><tr><th>at</th><th>from</th><th>message</th></tr>{}</table>", rows)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    form = ReportDecisionForm
    list_display = ["id", "created_at", "reason", "user", "reporter", "status", "claimed_by"]
    list_filter = ["status", "reason"]
    search_fields = ["user__username", "reporter__username"]
    list_select_related = ["user", "reporter", "claimed_by"]
    ordering = ["created_at", "id"]  # oldest first: the queue's order
    readonly_fields = ["user", "reporter", "reason", "comment", "context", "status", "claimed_by", "sanction",
                       "created_at", "resolved_at", "resolved_by", "evidence_messages", "evidence_game",
                       "user_history"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["user", "reporter", "reason", "comment", "context", "status", "claimed_by", "created_at"]}),
        ("Evidence (as it was when reported)", {"fields": ["evidence_messages", "evidence_game", "user_history"]}),
        ("Decision", {"fields": ["decision", "duration_hours", "statement", "sanction", "resolved_at", "resolved_by"]}),
    ]
    actions = ["claim"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="messages")
    def evidence_messages(self, report: Report) -> str:
        found = report.evidence.get("messages")
        return _messages_table(found) if found else "-"

    @admin.display(description="game")
    def evidence_game(self, report: Report) -> str:
        game = report.evidence.get("game")
        if not game:
            return "-"
        players = ", ".join(p["username"] for p in report.evidence.get("players", []))
        kept = len(report.evidence.get("inputs", []))
        return f"game {game['id']} ({game['mode']}, {game['state']}): {players}; {kept} inputs kept"

    @admin.display(description="the user's history")
    def user_history(self, report: Report) -> str:
        history = report.evidence.get("history", {})
        earlier = ", ".join(f"{r['reason']} ({r['status']})" for r in history.get("reports", [])) or "none"
        sanctioned = ", ".join(s["action"] for s in history.get("sanctions", [])) or "none"
        return f"reports: {earlier}; sanctions: {sanctioned}"

    @admin.action(description="Claim the selected reports")
    def claim(self, request, queryset):
        for report in queryset:
            reports.report_claim(staff=request.user, report_id=report.pk)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        decide(
            self,
            request,
            data.get("decision") and (lambda: reports.report_resolve(
                staff=request.user, report_id=obj.pk, action=data["decision"],
                statement=data.get("statement") or "", duration_hours=data.get("duration_hours"),
            )),
        )  # fmt: skip


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "action", "starts_at", "ends_at", "lifted_at", "created_by"]
    list_filter = ["action"]
    search_fields = ["user__username"]
    list_select_related = ["user", "created_by"]


class AppealDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("", "(keep open)"), ("upheld", "upheld"), ("reversed", "reversed")], required=False
    )
    decision_statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    class Meta:
        model = Appeal
        fields = []


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    form = AppealDecisionForm
    list_display = ["id", "sanction", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    ordering = ["created_at", "id"]
    readonly_fields = ["sanction", "text", "status", "statement", "created_at", "decided_at", "decided_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        decide(
            self,
            request,
            data.get("decision") and (lambda: appeals.appeal_decide(
                staff=request.user, appeal_id=obj.pk, decision=data["decision"],
                statement=data.get("decision_statement") or "",
            )),
        )  # fmt: skip
