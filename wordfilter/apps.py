from django.apps import AppConfig


class WordfilterConfig(AppConfig):
    name = "wordfilter"
    verbose_name = "word filter"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from wordfilter.exports import PARTS

        register_parts(PARTS)

        from gameplatform.chat import speech
        from wordfilter import cache

        # Chat messages are delivered masked; names with a listed word are refused (text_refused).
        speech.masked.register(cache.mask)
        speech.refused.register(cache.holds)
