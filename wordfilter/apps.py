from django.apps import AppConfig


class WordfilterConfig(AppConfig):
    name = "wordfilter"
    verbose_name = "word filter"

    def ready(self) -> None:
        from gameplatform.chat import speech
        from wordfilter import cache

        # Chat messages are delivered masked; names with a listed word are refused (text_refused).
        speech.masked.register(cache.mask)
        speech.refused.register(cache.holds)
