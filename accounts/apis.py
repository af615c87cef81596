from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import age, exports, mail, policy, recovery, selectors, services
from accounts.models import AgeBand, AgeSource
from accounts.serializers import DEVICE_NOTED, AgeSerializer, MeSerializer, PublicUserSerializer, device_id_field
from gameplatform.core.errors import NotFound
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes

TokenPairOutput = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField()


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(
            max_length=150,
            help_text="ASCII letters, digits and _ . - (after NFKC); unique in any case and width.",
        )
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
        password_confirm = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)
        device_id = device_id_field(required=False, help_text=DEVICE_NOTED)
        birth_date = serializers.DateField(
            required=False, help_text="Optional, YYYY-MM-DD, declared by the player: the account's age band."
        )

        def validate(self, attrs):
            if attrs["password"] != attrs["password_confirm"]:
                raise serializers.ValidationError({"password_confirm": ["Passwords do not match."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        user = MeSerializer()
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer}, tags=["auth"])
    @error_codes({400: ("text_refused",), 429: ("rate_limited",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(
            username=data.validated_data["username"],
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            address=request.META.get("REMOTE_ADDR", "unknown"),
            device_id=data.validated_data.get("device_id"),
            birth_date=data.validated_data.get("birth_date"),
        )
        recovery.email_verification_send(user=user, link_base=mail.link_base(request))
        body = {"user": MeSerializer(user).data, **services.tokens_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)


class DeviceLoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        device_id = device_id_field(
            help_text="A random id the client keeps (e.g. in localStorage); whoever knows it logs in."
        )

    class OutputSerializer(serializers.Serializer):
        user = MeSerializer()
        access = serializers.CharField()
        refresh = serializers.CharField()
        created = serializers.BooleanField(help_text="True only on the call that made the guest account.")

    # 429: new guests spend the registrations' window of the address (a budget chosen at run time).
    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        tags=["auth"],
    )
    @error_codes(
        {
            401: ("invalid_credentials",),
            403: ("account_suspended",),
            429: ("rate_limited",),
            503: ("guest_name_unavailable",),
        }
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, created = services.device_login(
            device_id=data.validated_data["device_id"], address=request.META.get("REMOTE_ADDR", "unknown")
        )
        return Response({"user": MeSerializer(user).data, **services.tokens_for(user), "created": created})


class LinkApi(APIView):
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, help_text="As at registration.")
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)

    class OutputSerializer(serializers.Serializer):
        user = MeSerializer()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer}, tags=["auth"])
    @error_codes({400: ("text_refused",), 409: ("already_linked",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.guest_link(user=request.user, **data.validated_data)
        return Response({"user": MeSerializer(user).data})


class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=254, required=False, help_text="Username or email.")
        email = serializers.CharField(max_length=254, required=False, help_text="Instead of username (seed 001).")
        password = serializers.CharField(trim_whitespace=False, max_length=128)
        device_id = device_id_field(required=False, help_text=DEVICE_NOTED)

        def validate(self, attrs):
            if "username" not in attrs and "email" not in attrs:
                raise serializers.ValidationError({"username": ["This field is required."]})
            return attrs

    # 429: the failure budgets are chosen at run time (per account and per address).
    @extend_schema(request=InputSerializer, responses={200: TokenPairOutput}, tags=["auth"])
    @error_codes({401: ("invalid_credentials",), 403: ("account_suspended",), 429: ("rate_limited",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens = services.user_login(
            identifier=data.validated_data.get("username", data.validated_data.get("email")),
            password=data.validated_data["password"],
            address=request.META.get("REMOTE_ADDR", "unknown"),
            device_id=data.validated_data.get("device_id"),
        )
        return Response(tokens)


class RefreshApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput}, tags=["auth"])
    @error_codes({401: ("token_not_valid",), 403: ("account_suspended",)})
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.token_refresh(refresh=data.validated_data["refresh"]))


class LogoutApi(APIView):
    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField(
            required=False, help_text="Killed if given; without it the client drops its tokens."
        )

    @extend_schema(request=InputSerializer, responses={205: None}, tags=["auth"])
    @error_codes({400: ("token_not_valid",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "refresh" in data.validated_data:
            services.token_logout(refresh=data.validated_data["refresh"], user=request.user)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class WsTicketApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "WsTicket", {"ticket": serializers.CharField(), "expires_in": serializers.IntegerField()}
            )
        },
        tags=["auth"],
    )
    def post(self, request):
        return Response(services.ws_ticket_issue(user=request.user))


class MeApi(APIView):
    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=64, required=False, allow_blank=True)
        email = serializers.EmailField(required=False)

    @extend_schema(responses={200: MeSerializer}, tags=["accounts"])
    def get(self, request):
        return Response(serializers.represent(MeSerializer, request.user))

    @extend_schema(request=InputSerializer, responses={200: MeSerializer}, tags=["accounts"])
    @error_codes({400: ("text_refused",)})
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **data.validated_data, link_base=mail.link_base(request))
        return Response(MeSerializer(user).data)


class AgeApi(APIView):
    class InputSerializer(serializers.Serializer):
        birth_date = serializers.DateField(required=False, help_text="YYYY-MM-DD, declared by the player.")
        band = serializers.ChoiceField(
            choices=AgeBand.choices,
            required=False,
            help_text="The band a store gave the app (with source): under_13, 13_15, 16_17, adult, unknown.",
        )
        source = serializers.ChoiceField(
            choices=[AgeSource.APPLE, AgeSource.GOOGLE],
            required=False,
            help_text="apple: Declared Age Range; google: Play Age Signals. Only with band.",
        )
        app_transaction = serializers.CharField(
            required=False,
            max_length=16384,
            help_text="With source apple: the app's signed AppTransaction (StoreKit's AppTransaction.shared "
            "jwsRepresentation), so that Apple's RESCIND_CONSENT notification ends this account's sessions.",
        )

        def validate(self, attrs):
            if "birth_date" in attrs:
                if attrs.keys() & {"band", "source", "app_transaction"}:
                    raise serializers.ValidationError({"birth_date": ["Give a birth date, or a band and its source."]})
                return {"source": AgeSource.DECLARED, "birth_date": attrs["birth_date"]}
            if "band" not in attrs or "source" not in attrs:
                raise serializers.ValidationError({"band": ["Give a birth date, or a band and its source."]})
            if "app_transaction" in attrs and attrs["source"] != AgeSource.APPLE:
                raise serializers.ValidationError({"app_transaction": ["Only with source apple."]})
            return attrs

    @extend_schema(
        request=InputSerializer,
        responses={200: AgeSerializer},
        tags=["accounts"],
        description="Set my age: a declared birth date (the band follows it as I grow up), or the band a store gave "
        "the app. A declaration never raises a band already set: 409 `age_locked`; a store's band may.",
    )
    @error_codes({400: ("invalid_receipt",), 404: ("not_configured",), 409: ("age_locked",)})
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = age.age_set(user=request.user, **data.validated_data)
        return Response({"age_band": policy.band_of(user), "age_source": user.age_source})


class MeDeleteApi(APIView):
    class InputSerializer(serializers.Serializer):
        password = serializers.CharField(
            required=False,
            trim_whitespace=False,
            max_length=128,
            help_text="The account's password; an account without one (a guest, a provider-only account) sends none.",
        )

    class OutputSerializer(serializers.Serializer):
        delete_at = serializers.DateTimeField(help_text="When the account is deleted, unless cancelled first.")

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer}, tags=["accounts"])
    @error_codes({400: ("invalid_password",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delete_at = services.user_delete_request(user=request.user, password=data.validated_data.get("password"))
        return Response(self.OutputSerializer({"delete_at": delete_at}).data, status=status.HTTP_202_ACCEPTED)


class MeExportApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        tags=["accounts"],
        description="Everything the platform holds about me: one key per domain, each app's own part "
        "(docs/domains/accounts.md#export). At most 3 a day.",
    )
    @error_codes({429: ("rate_limited",)})
    def get(self, request):
        return Response(exports.user_export(user=request.user))


class MeDeleteCancelApi(APIView):
    @extend_schema(request=None, responses={200: MeSerializer}, tags=["accounts"])
    @error_codes({409: ("not_pending",)})
    def post(self, request):
        services.user_delete_cancel(user=request.user)
        request.user.refresh_from_db()
        return Response(MeSerializer(request.user).data)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "search",
            OpenApiTypes.STR,
            OpenApiParameter.QUERY,
            required=False,
            description="Only users whose username or display name contains this text (any case).",
        )
    ],
    tags=["accounts"],
)
class UserListApi(ListAPIView):
    serializer_class = PublicUserSerializer

    def get_queryset(self):
        return selectors.user_search(query=self.request.query_params.get("search", ""))


class UserDetailApi(APIView):
    @extend_schema(responses={200: PublicUserSerializer}, tags=["accounts"])
    def get(self, request, user_id: int):
        user = selectors.user_active_get(user_id=user_id)
        if user is None:
            raise NotFound("No such user.")
        return Response(PublicUserSerializer(user).data)
