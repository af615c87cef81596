from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from payments.exports import PARTS

        register_parts(PARTS)
