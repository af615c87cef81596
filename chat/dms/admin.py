from django.contrib import admin

from chat.dms.models import DirectMessage


@admin.register(DirectMessage)
class DirectMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "sender", "recipient", "short_content", "created_at", "read_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["sender__username", "recipient__username", "content"]
    raw_id_fields = ["sender", "recipient"]
    date_hierarchy = "created_at"
    list_select_related = ["sender", "recipient"]

    @admin.display(description="content")
    def short_content(self, obj: DirectMessage) -> str:
        return obj.content[:80]
