from django.apps import AppConfig


class WebclientConfig(AppConfig):
    """The browser client: static files (the SDK and the page's script) and the pages that load them."""

    name = "webclient"

    def ready(self) -> None:
        from django.contrib import admin

        from webclient.operations import game_inspector_page, operations_allowed, operations_page

        admin.site.add_page(
            "operations/", operations_page, name="operations", title="Live operations", allowed=operations_allowed
        )
        admin.site.add_page(
            "operations/games/<int:game_id>/",
            game_inspector_page,
            name="operations-game",
            title="Room inspector",
            listed=False,  # linked from each running game of the live page
        )
