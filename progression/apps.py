from django.apps import AppConfig


class ProgressionConfig(AppConfig):
    name = "progression"
    default_auto_field = "django.db.models.BigAutoField"
