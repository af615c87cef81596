from django.apps import AppConfig


class LiveopsConfig(AppConfig):
    name = "liveops"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "live operations"
