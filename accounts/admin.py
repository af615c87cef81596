from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["id", "username", "email", "display_name", "is_premium", "is_active", "date_joined"]
    list_filter = ["is_premium", "is_active", "is_staff"]
    search_fields = ["username", "email", "display_name"]
    list_editable = ["is_premium"]
    fieldsets = DjangoUserAdmin.fieldsets + (("Game", {"fields": ["display_name", "is_premium"]}),)
    actions = ["make_premium", "remove_premium"]

    @admin.action(description="Give premium to the selected users")
    def make_premium(self, request, queryset):
        for user in queryset:
            services.user_set_premium(user=user, is_premium=True)

    @admin.action(description="Take premium from the selected users")
    def remove_premium(self, request, queryset):
        for user in queryset:
            services.user_set_premium(user=user, is_premium=False)
