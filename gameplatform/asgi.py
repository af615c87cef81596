"""ASGI entry point: HTTP to Django, WebSockets through origin check, JWT auth and the app routes."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gameplatform.routing import collect_websocket_urlpatterns  # noqa: E402
from gameplatform.wsauth import JWTAuthMiddleware, OriginCheck  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheck(JWTAuthMiddleware(URLRouter(collect_websocket_urlpatterns()))),
    }
)
