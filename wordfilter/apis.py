from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from staff.permissions import role_required
from staff.roles import MODERATOR
from wordfilter import selectors, services

StaffPermission = role_required(MODERATOR)

TAGS = ["moderation"]


class WordOutput(serializers.Serializer):
    id = serializers.IntegerField()
    word = serializers.CharField(help_text="As the filter holds it: lower-case letters, normalised.")
    created_at = serializers.DateTimeField()


@extend_schema(tags=TAGS)
class WordsApi(ListAPIView):
    """The word filter's list (staff: moderators)."""

    permission_classes = [StaffPermission]
    serializer_class = WordOutput

    class InputSerializer(serializers.Serializer):
        word = serializers.CharField(max_length=200, help_text="Normalised: 'H3LL0' is held as 'hello'.")

    def get_queryset(self):
        return selectors.word_list()

    @extend_schema(request=InputSerializer, responses={201: WordOutput}, tags=TAGS)
    @error_codes({409: ("word_exists",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        word = services.word_add(staff=request.user, word=data.validated_data["word"])
        return Response(WordOutput(word).data, status=status.HTTP_201_CREATED)


class WordApi(APIView):
    permission_classes = [StaffPermission]

    @extend_schema(responses={204: None}, tags=TAGS)
    @error_codes({404: ("word_not_found",)})
    def delete(self, request, word_id: int):
        services.word_remove(staff=request.user, word_id=word_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
