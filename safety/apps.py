from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "player safety"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from safety.exports import PARTS

        register_parts(PARTS)

        from accounts import hooks as account_hooks
        from gameplatform.chat import speech
        from safety import mutes, sanctions

        # Every chat way asks the kit whether the sender is muted (gameplatform.chat.speech); a locked
        # account is told its sanction and how to appeal (accounts.locks).
        speech.muted_until.register(mutes.muted_until)
        account_hooks.lock_details.register(sanctions.lock_details)
