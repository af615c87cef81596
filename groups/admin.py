from django import forms
from django.contrib import admin

from gameplatform.backoffice import AuditedAdmin, ReadOnlyAdmin, refusal_as_form_error
from gameplatform.chat import speech
from gameplatform.chat.admin import MembersInline, ShortContentAdmin
from groups import services
from groups.models import Group, GroupBan, GroupJoinRequest, GroupMembership, GroupMessage


class MembershipInline(MembersInline):
    model = GroupMembership


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "description", "open", "max_members"]

    def clean_name(self) -> str:
        return self._filtered("name")

    def clean_description(self) -> str:
        return self._filtered("description")

    def _filtered(self, field: str) -> str:
        """The word filter's refusal, as the API's, but as a form error."""
        with refusal_as_form_error():
            return speech.name_checked(self.cleaned_data[field], field=field)

    def clean_max_members(self) -> int:
        """Not below the members the group has (the count's constraint would refuse the write)."""
        max_members = self.cleaned_data["max_members"]
        with refusal_as_form_error():
            services.group_capacity_check(group=self.instance, max_members=max_members)
        return max_members


@admin.register(Group)
class GroupAdmin(AuditedAdmin):
    form = GroupForm
    list_display = ["id", "name", "open", "member_count", "max_members", "created_at"]
    list_filter = ["open"]
    search_fields = ["name", "description"]
    readonly_fields = ["member_count", "created_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        """An edit writes only the fields it changed, through the service (the group row locked)."""
        if not change:
            super().save_model(request, obj, form, change)
        elif form.changed_data:
            services.group_update(group_id=obj.pk, **{field: getattr(obj, field) for field in form.changed_data})

    def get_deleted_objects(self, objs, request):
        # Memberships are read only, one by one; a whole group goes with its seats (no count is left wrong).
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(GroupMembership._meta.verbose_name)
        return deleted, counts, perms_needed, protected


@admin.register(GroupMembership)
class GroupMembershipAdmin(ReadOnlyAdmin):
    """Seats are taken, given up and ranked through the services (the count, the size limit, one
    superadmin, the broadcasts and the sockets): read only here."""

    list_display = ["id", "group", "user", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["group__name", "user__username"]
    list_select_related = ["group", "user"]
    raw_id_fields = ["group", "user"]


@admin.register(GroupJoinRequest)
class GroupJoinRequestAdmin(AuditedAdmin):
    list_display = ["id", "group", "user", "created_at"]
    search_fields = ["group__name", "user__username"]
    list_select_related = ["group", "user"]
    raw_id_fields = ["group", "user"]


@admin.register(GroupBan)
class GroupBanAdmin(AuditedAdmin):
    list_display = ["id", "group", "user", "banned_by", "created_at"]
    search_fields = ["group__name", "user__username"]
    list_select_related = ["group", "user", "banned_by"]
    raw_id_fields = ["group", "user", "banned_by"]


@admin.register(GroupMessage)
class GroupMessageAdmin(ShortContentAdmin):
    list_display = ["id", "group", "sender", "short_content", "created_at"]
    search_fields = ["content", "sender__username", "group__name"]
    list_select_related = ["group", "sender"]
    raw_id_fields = ["group", "sender"]
    date_hierarchy = "created_at"
