from django.urls import path

from identities import apis

urlpatterns = [
    path("auth/providers/", apis.ProviderListApi.as_view(), name="auth-providers"),
    path("auth/providers/<slug:provider_id>/start/", apis.ProviderStartApi.as_view(), name="auth-provider-start"),
    path(
        "auth/providers/<slug:provider_id>/callback/", apis.ProviderCallbackApi.as_view(), name="auth-provider-callback"
    ),
    path("auth/providers/<slug:provider_id>/token/", apis.ProviderTokenApi.as_view(), name="auth-provider-token"),
    path("auth/identities/", apis.IdentityListApi.as_view(), name="auth-identities"),
    path("auth/identities/<slug:provider_id>/", apis.IdentityApi.as_view(), name="auth-identity"),
]
