from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import age, exports, locks, selectors, services
        from gameplatform.chat import speech
        from gameplatform.sockets import lockout, wsauth

        # Sockets authenticate through the kit, which looks users up through us (and keeps their
        # rows a while: every write of a user's row forgets it, ``gameplatform.sockets.usercache``).
        wsauth.token_user_row.register(lambda user_id: selectors.token_user_row(user_id=user_id))
        wsauth.token_user.register(lambda row, issued_at: selectors.token_user(row=row, issued_at=issued_at))
        wsauth.user_by_ticket.register(lambda ticket: services.ws_ticket_redeem(ticket=ticket))
        # A suspended or banned account's sockets are refused 4403 (accounts.locks).
        lockout.account_locked.register(locks.is_locked)
        lockout.account_refusal.register(locks.lock_refusal)
        # Every chat way asks whether the sender may speak at all (accounts.policy: under 13
        # without a parent's consent; AGE_REQUIRED and no band).
        speech.speaker_refusal.register(age.chat_refusal)
        exports.register_own_parts()
