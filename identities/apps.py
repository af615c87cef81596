from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "identities"
    verbose_name = "sign-in identities"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from identities.exports import PARTS

        register_parts(PARTS)
