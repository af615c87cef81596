"""REST routes of password reset, password change and email verification (``accounts.recovery``)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import mail, recovery, services
from gameplatform.http import serializers
from gameplatform.http.openapi import error_codes

Accepted = inline_serializer("Accepted", {"detail": serializers.CharField()})
Done = inline_serializer("Done", {"detail": serializers.CharField()})


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _password_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(write_only=True, trim_whitespace=False, max_length=128, **kwargs)


class MailLinkSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="The `uid` of the link in the mail.")
    token = serializers.CharField(max_length=128, help_text="The `token` of the link in the mail.")


class PasswordResetApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()

    @extend_schema(
        request=InputSerializer,
        responses={202: Accepted},
        tags=["auth"],
        summary="Ask for a password reset link by mail",
        description="Mails a single-use reset link to the account with this address, if there is one. "
        "The answer is the same whatever the address.",
    )
    @error_codes({404: ("not_configured",), 429: ("rate_limited",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.password_reset_request(
            email=data.validated_data["email"], address=_address(request), link_base=mail.link_base(request)
        )
        detail = "If an account has this address, a mail with a link to reset its password is on its way."
        return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(MailLinkSerializer):
        new_password = _password_field()

    @extend_schema(
        request=InputSerializer,
        responses={200: Done},
        tags=["auth"],
        summary="Set a new password with a reset link",
        description="Sets the new password; every refresh token of the account stops working.",
    )
    @error_codes({400: ("invalid_token",), 404: ("not_configured",), 429: ("rate_limited",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.password_reset_confirm(**data.validated_data, address=_address(request))
        return Response({"detail": "Your password is set. Log in with it."})


class PasswordChangeApi(APIView):
    class InputSerializer(serializers.Serializer):
        old_password = _password_field()
        new_password = _password_field()

    class OutputSerializer(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer},
        tags=["auth"],
        summary="Change my password",
        description="Every refresh token the account had stops working; this answer's pair is the one that works.",
    )
    @error_codes({400: ("invalid_password",)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = recovery.password_change(user=request.user, **data.validated_data)
        return Response(services.tokens_for(user))


class EmailVerifyApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=MailLinkSerializer,
        responses={200: Done},
        tags=["auth"],
        summary="Verify my email address with the link mailed to it",
        description="`GET /api/me/` then shows `email_verified: true`.",
    )
    @error_codes({400: ("invalid_token",), 404: ("not_configured",)})
    def post(self, request):
        data = MailLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recovery.email_verify(**data.validated_data)
        return Response({"detail": "Your email address is verified."})


class EmailVerifyResendApi(APIView):
    @extend_schema(
        request=None,
        responses={202: Accepted},
        tags=["auth"],
        summary="Mail me another verification link",
        description="At most 5 an hour (429 `rate_limited`); nothing is mailed once the address is verified.",
    )
    @error_codes({400: ("no_email",), 404: ("not_configured",), 429: ("rate_limited",)})
    def post(self, request):
        recovery.email_verification_resend(user=request.user, link_base=mail.link_base(request))
        return Response({"detail": "A verification mail is on its way."}, status=status.HTTP_202_ACCEPTED)
