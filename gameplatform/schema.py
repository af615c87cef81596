from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Names nested serializers after their view: ``LobbyJoinApi.InputSerializer`` -> ``LobbyJoinInput``.

    Views keep their Input/Output serializers nested (one operation, one place),
    so the plain class name would collide across views.
    """

    def get_serializer_name(self, serializer, direction):
        cls = serializer.__class__
        outer, _, inner = cls.__qualname__.rpartition(".")
        if not outer or "<locals>" in outer:
            return super().get_serializer_name(serializer, direction)
        outer = outer.split(".")[-1]
        outer = outer[: -len("Api")] if outer.endswith("Api") else outer
        inner = inner[: -len("Serializer")] if inner.endswith("Serializer") else inner
        return f"{outer}{inner}"
