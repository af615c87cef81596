"""The moderation queue in the admin: open reports oldest first (the list shows the open ones
unless another status is chosen), the evidence laid out beside the user's sanctions as they are
now, a claim, and the decision: one click on the list or the report's page (dismiss, warn, mute
24 h, suspend 7 d, with the reason's statement), or the report's own form (any action, duration
and statement); a claim is released by its claimer or a superuser, and lapses by itself.
Sanctions are records, read only but for their lift (an action with its statement); appeals are
decided in their form. Every decision goes through the services, so it is the same as over the
API and is audited."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html, format_html_join

from gameplatform.backoffice import ReadOnlyAdmin
from gameplatform.chat.rooms import timestamp
from gameplatform.core.errors import ApplicationError
from safety import appeals, reports, rules, sanctions, selectors
from safety.models import Appeal, Report, Sanction
from safety.sanctions import is_active
from staff.permissions import user_has_role
from staff.roles import MODERATOR

QUICK_LABELS = {"dismiss": "Dismiss", "warn": "Warn", "mute_24h": "Mute 24 h", "suspend_7d": "Suspend 7 d"}


class ReportDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(choices=[("", "(keep open)")] + [(a, a) for a in reports.RESOLUTIONS], required=False)
    duration_hours = forms.IntegerField(min_value=1, required=False, help_text="mute and suspend: how many hours")
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="the player reads it"
    )
    rule = forms.ChoiceField(required=False, help_text="the rule broken (none: the report's reason)")
    facts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="what it concerns, told to the player (none: the player's messages quoted from the evidence)",
    )

    class Meta:
        model = Report
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [("", "(the report's reason)")] + [
            (key, f"{key}: {text}") for key, text in rules.rules().items()
        ]


def decide(model_admin, request, decision) -> None:
    """Run a form's decision (a service call; nothing when the form kept it open) and say on the
    page why it was refused, if it was: the form's save never writes the record itself."""
    if not decision:
        return
    try:
        decision()
    except ApplicationError as exc:
        model_admin.message_user(request, f"Not done: {exc.message} {exc.extra or ''}", level=messages.ERROR)


def _deleted_note(message: dict) -> str:
    deleted = message.get("deleted")
    if not deleted:
        return ""
    return f"deleted {deleted.get('at')} by {'its author' if deleted.get('by_author') else 'a moderator'}"


def _messages_table(messages_: list[dict]) -> str:
    """A context's messages; one deleted before the report says so (players no longer see it)."""
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((m.get("created_at", ""), m.get("sender", ""), m.get("content", ""), _deleted_note(m)) for m in messages_),
    )
    return format_html("<table><tr><th>at</th><th>from</th><th>message</th><th></th></tr>{}</table>", rows)


def _game_line(evidence: dict) -> str:
    game = evidence.get("game")
    if not game:
        return ""
    players = ", ".join(p["username"] for p in evidence.get("players", []))
    kept = len(evidence.get("inputs", []))
    return f"game {game['id']} ({game['mode']}, {game['state']}): {players}; {kept} inputs kept"


def _evidence_tables(report: Report) -> str:
    """A report's evidence, then what the reporter's later reports added, each with its context and comment."""
    parts = [format_html("{}{}", _game_line(report.evidence), _messages_table(report.evidence.get("messages", [])))]
    for added in report.evidence.get("added", []):
        parts.append(
            format_html(
                "<p>added {} ({}, {}): {}</p>{}{}",
                added.get("at"),
                added.get("reason"),
                added.get("context") or "no context",
                added.get("comment") or "-",
                _game_line(added),
                _messages_table(added.get("messages", [])),
            )  # fmt: skip
        )
    return format_html_join("", "{}", ((p,) for p in parts))


class QueueStatusFilter(admin.SimpleListFilter):
    """The status, open unless another is chosen: the queue is what is left to do."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Report.Status.choices, ("all", "All")]

    def chosen(self) -> str:
        return self.value() or Report.Status.OPEN

    def queryset(self, request, queryset):
        return queryset if self.chosen() == "all" else queryset.filter(status=self.chosen())

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.chosen() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


def _sanctions_table(user_id: int, exclude: int | None = None) -> str:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (s.action, timestamp(s.starts_at), timestamp(s.ends_at) or "-", _sanction_state(s), s.statement)
            for s in selectors.sanctions_of(user_id=user_id).exclude(pk=exclude)[:20]
        ),
    )
    return format_html(
        "<table><tr><th>action</th><th>from</th><th>until</th><th>now</th><th>statement</th></tr>{}</table>", rows
    )


def _sanction_state(sanction: Sanction) -> str:
    if sanction.lifted_at is not None:
        return "lifted"
    return "running" if is_active(sanction) else "ended"


def quick_action(quick: str, description: str):
    """The list's action that decides each selected report with the one-click decision ``quick``."""

    @admin.action(description=description, permissions=["change"])
    def action(model_admin, request, queryset):
        model_admin._quick(request, queryset, quick)

    action.__name__ = f"quick_{quick}"
    return action


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    form = ReportDecisionForm
    list_display = ["id", "created_at", "reason", "user", "reporter", "status", "claim_now"]
    list_filter = [QueueStatusFilter, "reason"]
    search_fields = ["user__username", "reporter__username"]
    list_select_related = ["user", "reporter", "claimed_by"]
    ordering = ["created_at", "id"]  # oldest first: the queue's order
    readonly_fields = ["user", "reporter", "reason", "comment", "context", "status", "claim_now", "sanction",
                       "created_at", "resolved_at", "resolved_by", "evidence_messages", "evidence_game",
                       "evidence_added", "user_history", "user_sanctions_now"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["user", "reporter", "reason", "comment", "context", "status", "claim_now", "created_at"]}),
        (
            "Evidence (as it was when reported)",
            {"fields": ["evidence_messages", "evidence_game", "evidence_added", "user_history"]},
        ),
        ("The user's sanctions now", {"fields": ["user_sanctions_now"]}),
        (
            "Decision",
            {
                "fields": [
                    "decision",
                    "duration_hours",
                    "statement",
                    "rule",
                    "facts",
                    "sanction",
                    "resolved_at",
                    "resolved_by",
                ]
            },
        ),
    ]
    actions = ["claim", "unclaim", "quick_dismiss", "quick_warn", "quick_mute_24h", "quick_suspend_7d"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="claimed by")
    def claim_now(self, report: Report) -> str:
        """The claim that holds now (a lapsed one is nobody's), and until when."""
        if reports.claim_holder_id(report) is None:
            return "-"
        return f"{report.claimed_by} until {timestamp(reports.claim_ends_at(report))}"

    @admin.display(description="messages")
    def evidence_messages(self, report: Report) -> str:
        found = report.evidence.get("messages")
        return _messages_table(found) if found else "-"

    @admin.display(description="game")
    def evidence_game(self, report: Report) -> str:
        return _game_line(report.evidence) or "-"

    @admin.display(description="added by later reports")
    def evidence_added(self, report: Report) -> str:
        added = report.evidence.get("added", [])
        if not added:
            return "-"
        return format_html_join(
            "",
            "<p>{} ({}, {}): {}</p>{}{}",
            ((a.get("at"), a.get("reason"), a.get("context") or "no context", a.get("comment") or "-",
              _game_line(a), _messages_table(a.get("messages", []))) for a in added),
        )  # fmt: skip

    @admin.display(description="the user's history")
    def user_history(self, report: Report) -> str:
        history = report.evidence.get("history", {})
        earlier = ", ".join(f"{r['reason']} ({r['status']})" for r in history.get("reports", [])) or "none"
        sanctioned = ", ".join(s["action"] for s in history.get("sanctions", [])) or "none"
        return f"reports: {earlier}; sanctions: {sanctioned}"

    @admin.display(description="now")
    def user_sanctions_now(self, report: Report) -> str:
        return _sanctions_table(report.user_id)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The one-click buttons of an open report (the page's template puts them after "Save")."""
        report = self.get_object(request, object_id)
        quick = list(QUICK_LABELS.items()) if report is not None and report.status == Report.Status.OPEN else []
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "quick_decisions": quick})

    def _each(self, request, queryset, done: str, call) -> None:
        """``call(report_id)`` for each selected report (a service; each in its own transaction),
        then one message of what was done and one for each refusal."""
        ids = list(queryset.order_by("created_at", "id").values_list("pk", flat=True))
        count = 0
        for report_id in ids:
            try:
                call(report_id)
            except ApplicationError as exc:
                self.message_user(request, f"Report {report_id} not done: {exc.message}", level=messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} report(s).", level=messages.SUCCESS)

    @admin.action(description="Claim the selected reports", permissions=["change"])
    def claim(self, request, queryset):
        self._each(request, queryset, "Claimed", lambda pk: reports.report_claim(staff=request.user, report_id=pk))

    @admin.action(description="Release the claims of the selected reports", permissions=["change"])
    def unclaim(self, request, queryset):
        self._each(request, queryset, "Released", lambda pk: reports.report_unclaim(staff=request.user, report_id=pk))

    def _resolve_quick(self, request, report_id: int, quick: str) -> Report:
        return reports.report_resolve_quick(staff=request.user, report_id=report_id, quick=quick)

    def _quick(self, request, queryset, quick: str) -> None:
        self._each(request, queryset, f"{QUICK_LABELS[quick]}:", lambda pk: self._resolve_quick(request, pk, quick))

    quick_dismiss = quick_action("dismiss", "Dismiss the selected reports")
    quick_warn = quick_action("warn", "Warn the reported users (the reason's statement)")
    quick_mute_24h = quick_action("mute_24h", "Mute the reported users for 24 hours (the reason's statement)")
    quick_suspend_7d = quick_action("suspend_7d", "Suspend the reported users for 7 days (the reason's statement)")

    def save_model(self, request, obj, form, change):
        quick = request.POST.get("_quick")
        if quick:  # a one-click button of the page: the form's own fields are not read
            decide(self, request, lambda: self._resolve_quick(request, obj.pk, quick))
            return
        data = form.cleaned_data
        decide(
            self,
            request,
            data.get("decision") and (lambda: reports.report_resolve(
                staff=request.user, report_id=obj.pk, action=data["decision"],
                statement=data.get("statement") or "", duration_hours=data.get("duration_hours"),
                rule=data.get("rule") or "", facts=data.get("facts") or "",
            )),
        )  # fmt: skip


class LiftForm(ActionForm):
    """The list's action bar with the lift's statement beside the action (Django's ``action_form``)."""

    statement = forms.CharField(required=False, max_length=2000, help_text="lift: why (the player reads it)")


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "action", "starts_at", "ends_at", "lifted_at", "created_by", "lifted_by"]
    list_filter = ["action"]
    search_fields = ["user__username"]
    list_select_related = ["user", "created_by", "lifted_by"]
    action_form = LiftForm
    actions = ["lift"]

    def has_lift_permission(self, request) -> bool:
        """The gate of the API's moderation routes: staff in the ``moderator`` role (or ``admin``, or a superuser)."""
        return user_has_role(request.user, MODERATOR)

    @admin.action(description="Lift the selected sanctions (with the statement beside)", permissions=["lift"])
    def lift(self, request, queryset):
        """``sanctions.sanction_lift`` for each selected sanction (a savepoint each, in the action's
        one transaction), in the order of their players, so two such actions at once lock the
        players in one order; one message of what was lifted and one for each refusal
        (``sanction_not_active``, a missing statement)."""
        statement = request.POST.get("statement", "")
        lifted = 0
        for sanction_id in queryset.order_by("user_id", "pk").values_list("pk", flat=True):
            try:
                sanctions.sanction_lift(staff=request.user, sanction_id=sanction_id, statement=statement)
            except ApplicationError as exc:
                self.message_user(request, f"Sanction {sanction_id} not lifted: {exc.message}", level=messages.ERROR)
            else:
                lifted += 1
        if lifted:
            self.message_user(request, f"Lifted {lifted} sanction(s).", level=messages.SUCCESS)


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
    """An appeal's page shows what its review reads (EU DSA Art. 20): the sanction's statement of
    reasons and who imposed it, the reports it was decided on with their evidence, the player's
    other sanctions. Its decision is another moderator's (``same_moderator``)."""

    form = AppealDecisionForm
    list_display = ["id", "sanction", "status", "imposed_by", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["sanction", "sanction__created_by"]
    ordering = ["created_at", "id"]
    readonly_fields = ["sanction", "imposed_by", "reasons", "decided_on", "player_history", "text", "status",
                       "statement", "created_at", "decided_at", "decided_by"]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["sanction", "imposed_by", "text", "status", "created_at"]}),
        ("The sanction's statement of reasons", {"fields": ["reasons"]}),
        ("The reports it was decided on, with their evidence", {"fields": ["decided_on"]}),
        ("The player's other sanctions", {"fields": ["player_history"]}),
        ("Decision (by another moderator than the one who imposed it)",
         {"fields": ["decision", "decision_statement", "statement", "decided_at", "decided_by"]}),
    ]  # fmt: skip

    @admin.display(description="imposed by")
    def imposed_by(self, appeal: Appeal) -> str:
        return str(appeal.sanction.created_by or "-")

    @admin.display(description="reasons")
    def reasons(self, appeal: Appeal) -> str:
        s = appeal.sanction
        rows = [("action", f"{s.action} from {timestamp(s.starts_at)} until {timestamp(s.ends_at) or '-'}"),
                ("statement", s.statement), ("ground", f"{s.rule}: {s.ground}" if s.rule else "-"),
                ("facts", s.facts or "-"), ("automated", "yes" if s.automated else "no"),
                ("appeal until", timestamp(sanctions.appeal_until(s)))]  # fmt: skip
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="reports")
    def decided_on(self, appeal: Appeal) -> str:
        found = list(appeal.sanction.reports.select_related("reporter").order_by("id"))
        if not found:
            return "- (imposed without a report)"
        return format_html_join(
            "",
            "<p>report {} by {} ({}): {}</p>{}",
            ((r.pk, r.reporter or "the platform", r.reason, r.comment or "-", _evidence_tables(r)) for r in found),
        )

    @admin.display(description="sanctions")
    def player_history(self, appeal: Appeal) -> str:
        return _sanctions_table(appeal.sanction.user_id, exclude=appeal.sanction_id)

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
