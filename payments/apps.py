from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from accounts import hooks as accounts
        from accounts.exports import register_parts
        from payments import apple_gateway, selectors
        from payments.exports import PARTS
        from progression import hooks as progression

        # Apple's age range comes with the app's signed AppTransaction: verified here, with Apple's library.
        accounts.app_transaction_id.register(apple_gateway.app_transaction_id)
        register_parts(PARTS)
        # The shop prices gem-priced items in money at the cheapest gem pack sold here.
        progression.gem_packs.register(selectors.gem_packs)
