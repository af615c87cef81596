"""The bare framework, for comparison with the platform's REST figure: Django + DRF + SimpleJWT,
one endpoint shaped like ``GET /api/me/`` (a JWT checked, one query), nothing else.

No middleware, no logging, no metrics, no rate limits: what the framework itself costs per
request on this machine. It reads the platform's own database and accepts its tokens (same
``SECRET_KEY``). The WSGI server is not a project dependency (``pip install gunicorn``)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gp_platform_bench SECRET_KEY=...
    PYTHONPATH=bench gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:8801 bare_rest:application
    PYTHONPATH=bench uvicorn --workers 2 --port 8802 --no-access-log bare_rest:asgi_application
    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer <an access token>" http://127.0.0.1:8801/api/me/
"""

import os

import dj_database_url
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ["SECRET_KEY"],
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    MIDDLEWARE=[],
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    },
    SIMPLE_JWT={"SIGNING_KEY": os.environ["SECRET_KEY"], "AUTH_HEADER_TYPES": ("Bearer",)},
    USE_TZ=True,
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402


class Me(APIView):
    def get(self, request):
        with connection.cursor() as cursor:  # the one query: the user's row
            cursor.execute("SELECT id, username, email FROM accounts_user WHERE id = %s", [request.user.id])
            user_id, username, email = cursor.fetchone()
        return Response({"id": user_id, "username": username, "email": email})


urlpatterns = [path("api/me/", Me.as_view())]
application = get_wsgi_application()
asgi_application = get_asgi_application()
