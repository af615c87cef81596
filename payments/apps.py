from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from accounts import hooks as accounts
        from payments import apple_gateway

        # Apple's age range comes with the app's signed AppTransaction: verified here, with Apple's library.
        accounts.app_transaction_id.register(apple_gateway.app_transaction_id)
        from accounts.exports import register_parts
        from payments.exports import PARTS

        register_parts(PARTS)
