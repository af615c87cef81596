from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import exports, locks, selectors, services
        from gameplatform.sockets import lockout, wsauth

        # Sockets authenticate through the kit, which looks users up through us.
        wsauth.user_by_id.register(lambda user_id: selectors.user_active_get(user_id=user_id))
        wsauth.user_by_ticket.register(lambda ticket: services.ws_ticket_redeem(ticket=ticket))
        # A suspended or banned account's sockets are refused 4403 (accounts.locks).
        lockout.account_locked.register(locks.is_locked)
        lockout.account_refusal.register(locks.lock_refusal)
        exports.register_own_parts()
