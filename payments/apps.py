from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from payments import selectors
        from progression import hooks as progression

        # The shop prices gem-priced items in money at the cheapest gem pack sold here.
        progression.gem_packs.register(selectors.gem_packs)
