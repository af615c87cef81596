"""Live operations in the admin, for staff with the role ``liveops`` (or ``admin``, or superusers).

Flags, live events and inbox messages are edited here through the same services as the staff API
(``liveops.services``, ``liveops.schedule.services``, ``liveops.inbox.services``): validated the
same way, audited, the version raised and ``liveops_changed`` pushed. Around the flags: a preview
("what does player X get, and why", no exposure recorded), the experiments' results, and each
flag's and event's history from the audit log with a "roll back to this version" button. The
players' attributes, the exposures, the inbox entries, the analytics events and their daily
roll-up are read only.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from gameplatform.backoffice import ReadOnlyAdmin
from gameplatform.core.errors import ApplicationError
from gameplatform.http import serializers
from liveops import evaluation, selectors, services
from liveops.analytics import selectors as analytics_selectors
from liveops.inbox import services as inbox_services
from liveops.models import (
    AnalyticsDay,
    AnalyticsEvent,
    Exposure,
    Flag,
    InboxEntry,
    LiveEvent,
    Message,
    PlayerAttributes,
)
from liveops.schedule import conflicts
from liveops.schedule import services as schedule_services
from staff.permissions import has_role
from staff.roles import LIVEOPS

# --- Forms whose object a service writes -------------------------------------------------------


class ServiceForm(forms.ModelForm):
    """A form whose object is written by a service, asked once the form's own checks pass.

    The service is called from ``is_valid`` because that is the last moment its refusal can
    still become an error on the form's fields (``save_model`` comes after the admin decided the
    form is good). The admin's add and change views run in one transaction, and the service in a
    savepoint of it: a refusal leaves nothing written, not even its audit entry.
    """

    staff = None  # the request's user (``ServiceAdmin.get_form``)
    saved = None  # what the service wrote
    field_names: dict[str, str] = {}  # the service's name of a field, when the form's differs
    code_fields: dict[str, str] = {}  # the field an ApplicationError's code is about

    def through_service(self):
        raise NotImplementedError

    def unchanged(self) -> bool:
        """An existing object whose every field the form holds is as the database has it now
        (compared as values: a JSON field's text may differ from how it was shown; the form's
        instance already holds the posted values, so the row is read)."""
        if self.instance.pk is None:
            return False
        columns = {field.name for field in self.instance._meta.concrete_fields}
        names = [name for name in self.fields if name in self.cleaned_data and name in columns]
        stored = type(self.instance).objects.filter(pk=self.instance.pk).values(*names).first()
        return stored is not None and all(self.cleaned_data[name] == stored[name] for name in names)

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        if self.saved is None and self.unchanged():
            self.saved = self.instance  # Save with nothing changed: no change to audit, version or push
        if self.saved is None:
            try:
                self.saved = self.through_service()
            except serializers.ValidationError as exc:
                self.refused(exc.detail)
                return False
            except ApplicationError as exc:
                self.add_error(self.code_fields.get(exc.code), f"{exc.message} ({exc.code})")
                return False
        return True

    def refused(self, detail) -> None:
        """The service's ``{field: [message]}`` as the form's field errors."""
        problems = detail.items() if isinstance(detail, dict) else [(None, detail)]
        for name, found in problems:
            field = self.field_names.get(name, name)
            for message in found if isinstance(found, list) else [found]:
                self.add_error(field if field in self.fields else None, str(message))


class LiveopsRoleAdmin(admin.ModelAdmin):
    """Pages for the role ``liveops`` only, read again at each request (as the staff API does),
    on top of the model permissions the role's group holds."""

    def has_module_permission(self, request) -> bool:
        return has_role(request, LIVEOPS) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request, LIVEOPS) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return has_role(request, LIVEOPS) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return has_role(request, LIVEOPS) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return has_role(request, LIVEOPS) and super().has_delete_permission(request, obj)


class ServiceAdmin(LiveopsRoleAdmin):
    """Saves and deletes through the services (each audits its change itself: no ``AuditedAdmin``)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"staff": request.user})

    def save_model(self, request, obj, form, change) -> None:
        # The service wrote it (``ServiceForm.is_valid``); the admin's record and redirect need its id.
        obj.pk = form.saved.pk
        for warning in self.warnings_of(form.saved):
            self.message_user(request, warning, messages.WARNING)

    def warnings_of(self, obj) -> list[str]:
        """What the staff should know of ``obj`` once saved, and when they open it (none here)."""
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            obj = self.get_object(request, object_id)
            for warning in self.warnings_of(obj) if obj is not None else ():
                self.message_user(request, warning, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_model(self, request, obj) -> None:
        self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset.order_by("pk"):
            self.delete_through_service(request, obj)

    def delete_through_service(self, request, obj) -> None:
        raise NotImplementedError


# --- History and rollback ------------------------------------------------------------------------


class HistoryAdmin(ServiceAdmin):
    """The object's history page shows its changes from the audit log (who, when, before, after),
    each with a "roll back to this version" button that goes through the service's rollback."""

    history_target = ""  # the audit log's target_type

    def rollback(self, request, obj, audit_id: int):
        raise NotImplementedError

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_rollback"
        rollback = self.admin_site.admin_view(require_POST(self.rollback_view))
        return [
            path("<path:object_id>/rollback/<int:audit_id>/", rollback, name=name),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "opts": self.opts,
            "object": obj,
            "changes": selectors.change_history(target_type=self.history_target, target_id=obj.pk),
            "can_roll_back": self.has_change_permission(request, obj),
            "rollback_url": f"admin:{self.opts.app_label}_{self.opts.model_name}_rollback",
        }
        return TemplateResponse(request, "admin/liveops/history.html", context)

    def rollback_view(self, request, object_id, audit_id: int):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} {object_id}.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        try:
            self.rollback(request, obj, audit_id)
            self.message_user(request, f"Rolled back to the version of change #{audit_id}.", messages.SUCCESS)
        except serializers.ValidationError as exc:
            self.message_user(request, f"Not rolled back: {exc.detail}", messages.ERROR)
        except ApplicationError as exc:
            self.message_user(request, f"Not rolled back: {exc.message} ({exc.code})", messages.ERROR)
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", obj.pk)


# --- Flags -----------------------------------------------------------------------------------------


class FlagForm(ServiceForm):
    field_names = {"defaultValue": "default_value"}
    code_fields = {"flag_exists": "name"}

    class Meta:
        model = Flag
        fields = ["name", "description", "default_value", "rules"]
        help_texts = {
            "default_value": "JSON: the value when no rule applies (null, a number, a string, an object...).",
            "rules": "JSON: GrowthBook's rules, a list of {condition, force} or experiments (docs: live operations).",
        }

    def clean_rules(self):
        rules = self.cleaned_data.get("rules")
        return [] if rules is None else rules  # an empty box: no rules

    def through_service(self) -> Flag:
        data = self.cleaned_data
        fields = {"description": data["description"], "default_value": data["default_value"], "rules": data["rules"]}
        if self.instance.pk is None:
            return services.flag_create(staff=self.staff, name=data["name"], **fields)
        current = Flag.objects.filter(pk=self.instance.pk).values_list("name", flat=True).first() or data["name"]
        return services.flag_update(staff=self.staff, name=current, new_name=data["name"], **fields)


class PreviewForm(forms.Form):
    player = forms.CharField(max_length=150, help_text="A player's username or id.")


class GoalForm(forms.Form):
    goal = forms.CharField(max_length=100, help_text="The name of the goal event (an analytics event).")


@admin.register(Flag)
class FlagAdmin(HistoryAdmin):
    form = FlagForm
    list_display = ("name", "description", "updated_at")
    search_fields = ("name",)
    history_target = services.FLAG_TARGET

    def delete_through_service(self, request, obj) -> None:
        services.flag_delete(staff=request.user, name=obj.name)

    def warnings_of(self, obj) -> list[str]:
        return conflicts.flag_warnings([obj]).get(obj.name, [])

    def rollback(self, request, obj, audit_id: int) -> None:
        services.flag_rollback(staff=request.user, name=obj.name, audit_id=audit_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="liveops_flag_preview"),
            path("experiments/", view(self.experiments_view), name="liveops_flag_experiments"),
            path("experiments/<slug:key>/", view(self.results_view), name="liveops_flag_results"),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, title: str, **context):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": title, "opts": self.opts, **context}
        return TemplateResponse(request, f"admin/liveops/{template}", context)

    def preview_view(self, request):
        """Each flag's value for one player and why, computed as the API does, recording nothing."""
        form = PreviewForm(request.GET or None)
        player = explained = None
        if form.is_valid():
            player = selectors.player_find(query=form.cleaned_data["player"])
            if player is None:
                form.add_error("player", "No player has this username or id.")
            else:
                explained = evaluation.explain(user=player)
        return self._page(request, "preview.html", "What a player gets, and why", form=form, player=player,
                          explained=explained)  # fmt: skip

    def experiments_view(self, request):
        keys = analytics_selectors.experiment_keys()
        return self._page(request, "experiments.html", "Experiments", keys=keys)

    def results_view(self, request, key: str):
        """One experiment's results for a goal event, from the selector the staff API uses."""
        form = GoalForm(request.GET or None)
        results = None
        if form.is_valid():
            results = analytics_selectors.experiment_results(key=key, goal=form.cleaned_data["goal"])
        return self._page(request, "results.html", f"Experiment {key}", key=key, form=form, results=results,
                          asked=form.is_bound and form.is_valid())  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        links = {"preview_url": reverse("admin:liveops_flag_preview"),
                 "experiments_url": reverse("admin:liveops_flag_experiments")}  # fmt: skip
        return super().changelist_view(request, {**links, **(extra_context or {})})


# --- Live events -----------------------------------------------------------------------------------


class LiveEventForm(ServiceForm):
    class Meta:
        model = LiveEvent
        fields = list(schedule_services.FIELDS)
        help_texts = {
            "recurrence": "Cron, five fields, read in the time zone below; empty for a one-off event.",
            "timezone": 'Where the recurrence is read: an IANA name (Europe/Paris, Asia/Tokyo, UTC), or "player": '
            "each player's own (their custom.timezone attribute; UTC without one), for auto events only.",
            "duration_seconds": "Each occurrence's, when recurring.",
            "condition": "JSON: a GrowthBook condition over the player's attributes ({} for everyone).",
            "overrides": "JSON: {flag name: value} while it runs.",
            "value": "JSON: what the client reads.",
        }

    def clean(self):
        # The service's own checks, asked before the model's constraint could answer the same
        # thing less clearly (ends_at after starts_at).
        data = super().clean()
        if not self.errors:
            try:
                schedule_services.live_event_validate(self.service_fields())
            except serializers.ValidationError as exc:
                self.refused(exc.detail)
        return data

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data.get(name) for name in schedule_services.FIELDS}
        for name in ("condition", "overrides"):
            fields[name] = {} if fields[name] is None else fields[name]
        fields["recurrence"] = fields["recurrence"] or ""
        fields["timezone"] = fields["timezone"] or "UTC"
        return fields

    def through_service(self) -> LiveEvent:
        if self.instance.pk is None:
            return schedule_services.live_event_create(staff=self.staff, **self.service_fields())
        return schedule_services.live_event_update(staff=self.staff, event_id=self.instance.pk, **self.service_fields())


@admin.register(LiveEvent)
class LiveEventAdmin(HistoryAdmin):
    form = LiveEventForm
    list_display = ("name", "starts_at", "ends_at", "recurrence", "join", "updated_at")
    search_fields = ("name",)
    history_target = schedule_services.EVENT_TARGET

    def delete_through_service(self, request, obj) -> None:
        schedule_services.live_event_delete(staff=request.user, event_id=obj.pk)

    def warnings_of(self, obj) -> list[str]:
        return conflicts.event_warnings([obj]).get(obj.pk, [])

    def rollback(self, request, obj, audit_id: int) -> None:
        schedule_services.live_event_rollback(staff=request.user, event_id=obj.pk, audit_id=audit_id)


# --- Inbox messages ------------------------------------------------------------------------------


class MessageForm(ServiceForm):
    send_at = forms.SplitDateTimeField(required=False, widget=widgets.AdminSplitDateTime, help_text="Now when empty.")
    expires_at = forms.SplitDateTimeField(
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text="When its gifts can no longer be claimed; empty: never.",
    )

    class Meta:
        model = Message
        fields = ["title", "body", "data", "condition", "send_at", "grants", "expires_at"]
        help_texts = {
            "data": "JSON: an object the client reads.",
            "condition": "JSON: a GrowthBook condition over the player's attributes ({} for everyone).",
            "grants": 'JSON: gifts each player claims once, e.g. {"gold": 100, "gems": 5, '
            '"items": [{"item_id": 3, "quantity": 1}]}; empty for none.',
        }

    def through_service(self) -> Message:
        data = self.cleaned_data
        return inbox_services.message_create(
            staff=self.staff,
            title=data["title"],
            body=data["body"],
            data=data["data"],
            condition=data["condition"],
            send_at=data["send_at"],
            grants=data["grants"],
            expires_at=data["expires_at"],
        )


@admin.register(Message)
class MessageAdmin(ServiceAdmin):
    """A message is written once (the timer delivers it at its send time): added here, then read only."""

    form = MessageForm
    list_display = ("title", "send_at", "sent_at", "expires_at", "created_by")
    search_fields = ("title",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Read only -------------------------------------------------------------------------------------


@admin.register(PlayerAttributes)
class PlayerAttributesAdmin(ReadOnlyAdmin):
    list_display = ("user", "country", "platform", "app_version", "updated_at")
    search_fields = ("user__username",)


@admin.register(Exposure)
class ExposureAdmin(ReadOnlyAdmin):
    list_display = ("key", "variation", "user", "first_at")
    list_filter = ("key",)


@admin.register(InboxEntry)
class InboxEntryAdmin(ReadOnlyAdmin):
    list_display = ("message", "user", "created_at", "read_at", "claimed_at")
    search_fields = ("user__username",)


@admin.register(AnalyticsEvent)
class AnalyticsEventAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "timestamp", "value", "received_at")
    list_filter = ("name",)
    search_fields = ("user__username",)


@admin.register(AnalyticsDay)
class AnalyticsDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "name", "user", "count", "value_sum", "last_at")
    search_fields = ("user__username",)
