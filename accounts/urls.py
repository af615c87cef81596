from django.urls import path

from accounts import apis, recovery_apis

urlpatterns = [
    path("auth/register/", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/device/", apis.DeviceLoginApi.as_view(), name="auth-device"),
    path("auth/link/", apis.LinkApi.as_view(), name="auth-link"),
    path("auth/login/", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/refresh/", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("auth/ws-ticket/", apis.WsTicketApi.as_view(), name="auth-ws-ticket"),
    path("auth/password/reset/", recovery_apis.PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        recovery_apis.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/password/change/", recovery_apis.PasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/email/verify/", recovery_apis.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path("auth/email/verify/resend/", recovery_apis.EmailVerifyResendApi.as_view(), name="auth-email-verify-resend"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("me/age/", apis.AgeApi.as_view(), name="me-age"),
    path("me/delete/", apis.MeDeleteApi.as_view(), name="me-delete"),
    path("me/export/", apis.MeExportApi.as_view(), name="me-export"),
    path("me/delete/cancel/", apis.MeDeleteCancelApi.as_view(), name="me-delete-cancel"),
    path("users/", apis.UserListApi.as_view(), name="user-list"),
    path("users/<id:user_id>/", apis.UserDetailApi.as_view(), name="user-detail"),
    # Seed 004's addresses for the same views (kept out of the schema: schema=None).
    path("token/", apis.LoginApi.as_view(schema=None), name="seed-token"),
    path("token/refresh/", apis.RefreshApi.as_view(schema=None), name="seed-token-refresh"),
    path("users/profile/", apis.MeApi.as_view(schema=None), name="seed-profile"),
]
