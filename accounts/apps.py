from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import selectors, services
        from gameplatform import wsauth

        # Sockets authenticate through the kit, which looks users up through us.
        wsauth.set_user_resolvers(
            wsauth.UserResolvers(
                by_id=lambda user_id: selectors.user_active_get(user_id=user_id),
                by_ticket=lambda ticket: services.ws_ticket_redeem(ticket=ticket),
            )
        )
