from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.core.errors import NotFound
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from storage import selectors, services
from storage.models import StorageObject
from storage.serializers import StorageObjectSerializer

MAX_VERSION_DIGITS = 18

USER_ID = OpenApiParameter(
    "user_id",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    required=False,
    description="Another user's public objects (default: mine, public or not).",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Only if the object is at this version (`3` or the ETag `"3"`; `*`: if it exists), else 412.',
)
IF_NONE_MATCH_PUT = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="`*`: create only; 412 `version_conflict` if the object exists.",
)
IF_NONE_MATCH_GET = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag I hold: 304 with no body if the object is still at it.",
)


class UserIdQuery(serializers.Serializer):
    user_id = serializers.IntegerField(required=False, min_value=1, max_value=10**MAX_VERSION_DIGITS - 1)


def owner_id_of(request) -> int:
    query = UserIdQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("user_id", request.user.pk)


def versions_in(header: str | None) -> list[int] | str | None:
    """The versions an ``If-Match`` names: ``*``, or numbers bare or as (weak) ETags. A tag
    that is no version of ours matches nothing."""
    if header is None:
        return None
    if header.strip() == "*":
        return services.ANY_VERSION
    tags = (tag.strip().removeprefix("W/").strip('"') for tag in header.split(","))
    return [int(tag) for tag in tags if tag.isascii() and tag.isdigit() and len(tag) <= MAX_VERSION_DIGITS]


def etag(obj: StorageObject) -> str:
    return f'"{obj.version}"'


def object_answer(obj: StorageObject, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(StorageObjectSerializer(obj).data, status=status_code, headers={"ETag": etag(obj)})


class StorageObjectApi(APIView):
    class InputSerializer(serializers.Serializer):
        value = serializers.JSONField(help_text="Any JSON, at most 16 KiB encoded (413 `value_too_large`).")
        read = serializers.ChoiceField(
            choices=[StorageObject.READ_OWNER, StorageObject.READ_PUBLIC],
            default=StorageObject.READ_OWNER,
            help_text="Who may read it: its owner only, or anyone.",
        )

    @extend_schema(
        parameters=[USER_ID, IF_NONE_MATCH_GET],
        responses={200: StorageObjectSerializer, 304: None},
        tags=["storage"],
    )
    def get(self, request, collection: str, key: str):
        services.storage_names_validate(collection=collection, key=key)
        obj = selectors.storage_object_get(
            owner_id=owner_id_of(request), collection=collection, key=key, reader_id=request.user.pk
        )
        if obj is None:
            raise NotFound("No such object.")
        if etag(obj) in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(obj)})
        return object_answer(obj)

    @extend_schema(
        request=InputSerializer,
        parameters=[IF_MATCH, IF_NONE_MATCH_PUT],
        responses={200: StorageObjectSerializer, 201: StorageObjectSerializer},
        tags=["storage"],
    )
    @error_codes({409: ("storage_full",), 412: ("version_conflict",), 413: ("value_too_large",)})
    def put(self, request, collection: str, key: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obj, created = services.storage_object_put(
            user=request.user,
            collection=collection,
            key=key,
            value=data.validated_data["value"],
            read=data.validated_data["read"],
            versions=versions_in(request.headers.get("If-Match")),
            create_only=request.headers.get("If-None-Match", "").strip() == "*",
        )
        return object_answer(obj, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(parameters=[IF_MATCH], responses={204: None}, tags=["storage"])
    @error_codes({412: ("version_conflict",)})
    def delete(self, request, collection: str, key: str):
        services.storage_object_delete(
            user=request.user,
            collection=collection,
            key=key,
            versions=versions_in(request.headers.get("If-Match")),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[USER_ID], tags=["storage"])
class StorageListApi(ListAPIView):
    serializer_class = StorageObjectSerializer

    def get_queryset(self):
        collection = self.kwargs["collection"]
        services.storage_names_validate(collection=collection)
        return selectors.storage_object_list(
            owner_id=owner_id_of(self.request), collection=collection, reader_id=self.request.user.pk
        )
