from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.locks import AccountSuspended
from accounts.serializers import DEVICE_NOTED, MeSerializer, device_id_field
from accounts.services import device_note, tokens_for
from gameplatform.core.errors import ApplicationError
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes
from identities import flows, providers, selectors, services
from identities.models import Identity


class ProviderOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["oidc", "oauth2", "openid"])


class SignInOutput(serializers.Serializer):
    user = MeSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()
    created = serializers.BooleanField(help_text="True only on the sign-in that made the account.")


class TokenInput(serializers.Serializer):
    id_token = serializers.CharField(
        required=False, max_length=16384, help_text="An OpenID Connect provider's id token (Google, Apple, ...)."
    )
    access_token = serializers.CharField(
        required=False, max_length=4096, help_text="An OAuth 2 provider's access token instead (Discord)."
    )
    nonce = serializers.CharField(required=False, max_length=512, help_text="Checked against the id token's nonce.")

    def validate(self, attrs):
        if "id_token" not in attrs and "access_token" not in attrs:
            raise serializers.ValidationError({"id_token": ["This field is required."]})
        return attrs


class SignInInput(TokenInput):
    device_id = device_id_field(required=False, help_text=DEVICE_NOTED)


def _profile(provider_id: str, data: dict) -> flows.Profile:
    provider = providers.provider_get(provider_id)
    token = data.get("id_token") if provider.kind == "oidc" else data.get("access_token", data.get("id_token"))
    if not token:
        raise providers.invalid_token("Send the provider's id_token (or access_token for OAuth 2 providers).")
    return flows.profile_from_token(provider, token=token, nonce=data.get("nonce"))


class ProviderListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: ProviderOutput(many=True)}, tags=["auth"])
    def get(self, request):
        return Response([provider.public() for provider in providers.configured()])


def _own_origin(request) -> str:
    return settings.AUTH_CALLBACK_BASE_URL or f"{request.scheme}://{request.get_host()}"


def _callback_url(request, provider_id: str) -> str:
    return f"{_own_origin(request)}/api/auth/providers/{provider_id}/callback/"


class ProviderStartApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "next",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                description="Where the browser lands after signing in (default /play/): a path of this server "
                "or a page of an allowed origin (CORS_ORIGINS). The tokens arrive in its fragment.",
            )
        ],
        responses={302: OpenApiResponse(description="To the provider's sign-in page.")},
        tags=["auth"],
    )
    @error_codes({400: ("next_not_allowed",), 404: ("not_configured",), 502: ("provider_unavailable",)})
    def get(self, request, provider_id: str):
        provider = providers.provider_get(provider_id)
        next_url = flows.next_url_check(request.query_params.get("next", "/play/"), own_origin=_own_origin(request))
        url = flows.signin_start(provider, next_url=next_url, callback_url=_callback_url(request, provider_id))
        return HttpResponseRedirect(url)


class ProviderCallbackApi(APIView):
    """Where the provider sends the browser back: the sign-in ends with a redirect to ``next``
    whose fragment holds the platform's tokens (``#access=...&refresh=...&created=0``), or
    ``#signin_error=CODE``. A fragment never reaches a server, ours or ``next``'s."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        responses={302: OpenApiResponse(description="To next, the tokens (or signin_error) in its fragment.")},
        tags=["auth"],
    )
    @error_codes({400: ("invalid_state",), 404: ("not_configured",)})
    def get(self, request, provider_id: str):
        return self.finish(request, provider_id, request.query_params)

    @extend_schema(exclude=True)
    def post(self, request, provider_id: str):  # Apple's response_mode=form_post
        return self.finish(request, provider_id, {**request.query_params.dict(), **request.POST.dict()})

    def finish(self, request, provider_id: str, params) -> HttpResponseRedirect:
        provider = providers.provider_get(provider_id)
        record = flows.state_redeem(str(params.get("state", "")))
        if record is None or record["provider"] != provider.id:
            raise ApplicationError(
                "This sign-in expired or was already used; start again.", code="invalid_state", status_code=400
            )
        try:
            profile = flows.signin_finish(
                provider, record, params=dict(params.items()), callback_url=_callback_url(request, provider_id)
            )
            user, created = services.identity_sign_in(profile=profile)
            fragment = urlencode({**tokens_for(user), "created": int(created)})
        except AccountSuspended as exc:  # what the page needs to say why, and to appeal
            told = {"signin_error": exc.code, **{k: v for k, v in exc.extra.items() if v is not None}}
            return HttpResponseRedirect(f"{_base(record['next'])}#{urlencode(told)}")
        except ApplicationError as exc:
            return HttpResponseRedirect(f"{_base(record['next'])}#{urlencode({'signin_error': exc.code})}")
        return HttpResponseRedirect(f"{_base(record['next'])}#{fragment}")


def _base(url: str) -> str:
    return url.split("#", 1)[0]


class ProviderTokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=SignInInput, responses={200: SignInOutput}, tags=["auth"])
    @error_codes(
        {
            400: ("invalid_token",),
            401: ("invalid_credentials",),
            403: ("account_suspended",),
            404: ("not_configured",),
            502: ("provider_unavailable",),
            503: ("username_unavailable",),
        }
    )
    def post(self, request, provider_id: str):
        data = SignInInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, created = services.identity_sign_in(profile=_profile(provider_id, data.validated_data))
        if "device_id" in data.validated_data:
            device_note(user=user, device_id=data.validated_data["device_id"])
        return Response({"user": MeSerializer(user).data, **tokens_for(user), "created": created})


class IdentityOutput(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["provider", "subject", "linked_at"]
        read_only_fields = fields


class IdentityListApi(APIView):
    @extend_schema(responses={200: IdentityOutput(many=True)}, tags=["auth"])
    def get(self, request):
        return Response(IdentityOutput(selectors.identity_list_for_user(user=request.user), many=True).data)


class IdentityApi(APIView):
    @extend_schema(request=TokenInput, responses={200: IdentityOutput}, tags=["auth"])
    @error_codes(
        {400: ("invalid_token",), 404: ("not_configured",), 409: ("identity_in_use",), 502: ("provider_unavailable",)}
    )
    def post(self, request, provider_id: str):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        identity = services.identity_link(user=request.user, profile=_profile(provider_id, data.validated_data))
        return Response(IdentityOutput(identity).data)

    @extend_schema(responses={204: None}, tags=["auth"])
    @error_codes({404: ("not_found",), 409: ("last_identity",)})
    def delete(self, request, provider_id: str):
        services.identity_unlink(user=request.user, provider=provider_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
