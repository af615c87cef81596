from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "identities"
    verbose_name = "sign-in identities"
