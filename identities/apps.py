from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "sign-in identities"
