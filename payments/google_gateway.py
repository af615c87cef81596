"""The one module that talks to Google Play, through Google's own libraries' public API.

Purchases: the Play Developer API (``androidpublisher`` v3) through google-api-python-client,
built from the discovery document the library ships (no network call to build it) and sent to
``client_options={"api_endpoint": GOOGLE_PLAY_API_BASE}``. Its calls carry google-auth's
service-account credentials: the library signs a JWT with the service account's key and trades
it for an OAuth access token at the key's ``token_uri``, then refreshes it before it expires.

Notifications: Pub/Sub push sends each message with ``Authorization: Bearer <id token>``, a JWT
Google signs for the subscription's service account. ``google.oauth2.id_token.verify_token``
checks its signature against Google's published certificates, its expiry and its audience; the
issuer (and the service account, when configured) is checked here, as ``verify_oauth2_token``
does. ``verify_token`` rather than ``verify_oauth2_token``: only the former takes the
certificates' address as a parameter (``certs_url``), which is how the tests serve their own.
"""

import base64
import binascii
import functools
import json
import logging

import google_auth_httplib2
import httplib2
from django.conf import settings
from google.auth import exceptions as auth_exceptions
from google.auth.transport import requests as auth_requests
from google.oauth2 import id_token, service_account
from googleapiclient import discovery
from googleapiclient import errors as api_errors
from googleapiclient import http as api_http

from gameplatform.core.errors import ApplicationError, NotFound
from payments.gateway_errors import StoreAnswerFailed

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
# ProductPurchase.purchaseState: 0 purchased, 1 canceled, 2 pending (cash payments not yet made).
PURCHASED = 0
# ProductPurchase.acknowledgementState: 0 not yet (Play refunds it after three days), 1 acknowledged.
NOT_ACKNOWLEDGED = 0
# The issuers of the id tokens Google signs (Pub/Sub push among them).
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
# The library retries a call that failed on the network or with a 5xx or 429 this many times.
NETWORK_RETRIES = 2
# Google's answers about the token itself (unknown, of another app or product, expired): not a sale.
RECEIPT_REFUSED = {400, 404, 410}

_TRANSPORT_ERRORS = (auth_exceptions.GoogleAuthError, httplib2.HttpLib2Error, OSError)


def google_configured() -> bool:
    return bool(settings.GOOGLE_PLAY_PACKAGE and settings.GOOGLE_PLAY_SERVICE_ACCOUNT)


def google_require() -> None:
    if not google_configured():
        raise NotFound("Google Play purchases are not configured on this server.", code="not_configured")


def notifications_require() -> None:
    if not (google_configured() and settings.GOOGLE_PLAY_PUSH_AUDIENCE):
        raise NotFound("Google Play notifications are not configured on this server.", code="not_configured")


@functools.lru_cache(maxsize=4)
def _client(key_path: str, api_base: str) -> tuple:
    """The API's client and its credentials, once per process (the access token is reused until it
    expires). Keyed by the settings, so a changed key or address builds a new one."""
    credentials = service_account.Credentials.from_service_account_file(key_path, scopes=[SCOPE])
    service = discovery.build(
        "androidpublisher",
        "v3",
        credentials=credentials,
        client_options={"api_endpoint": api_base},
        static_discovery=True,
        cache_discovery=False,
    )
    return service, credentials


def _execute(build_request, *, resource=lambda service: service.purchases().products()):
    service, credentials = _client(settings.GOOGLE_PLAY_SERVICE_ACCOUNT, settings.GOOGLE_PLAY_API_BASE)
    # httplib2 connections are not thread-safe: every call gets its own, authorized with the
    # shared credentials (the library's documented way: execute(http=...)).
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=api_http.build_http())
    return build_request(resource(service)).execute(http=http, num_retries=NETWORK_RETRIES)


def purchase_get(*, product_id: str, token: str) -> dict:
    """``purchases.products.get``: the ProductPurchase Google holds for this token of this app's
    product. 400 ``invalid_receipt`` when Google knows no such purchase (a token of another app or
    product, or made up); 502 ``payment_provider_error`` when Google cannot be asked."""
    package = settings.GOOGLE_PLAY_PACKAGE
    try:
        return _execute(lambda products: products.get(packageName=package, productId=product_id, token=token))
    except api_errors.HttpError as exc:
        if exc.status_code in RECEIPT_REFUSED:
            raise ApplicationError(
                f"Google Play knows no such purchase ({exc.status_code}).", code="invalid_receipt"
            ) from exc
        raise _provider_error(exc) from exc
    except _TRANSPORT_ERRORS as exc:
        raise _provider_error(exc) from exc


def purchase_acknowledge(*, product_id: str, token: str) -> bool:
    """``purchases.products.acknowledge``; False (and a log line) when it failed: the grant stands,
    and the next redemption of the token acknowledges it again."""
    package = settings.GOOGLE_PLAY_PACKAGE
    try:
        _execute(lambda products: products.acknowledge(packageName=package, productId=product_id, token=token, body={}))
    except (api_errors.HttpError, *_TRANSPORT_ERRORS):
        logger.exception("Google Play did not acknowledge a purchase of %s", product_id)
        return False
    return True


def _provider_error(exc: Exception) -> ApplicationError:
    return ApplicationError(
        f"Google Play could not be asked: {type(exc).__name__}", code="payment_provider_error", status_code=502
    )


def push_verify(*, authorization: str) -> dict:
    """The claims of a Pub/Sub push's id token (``Authorization: Bearer ...``) once Google's
    signature, the expiry, the audience, the issuer and (when configured) the push's service
    account check out; 400 ``bad_signature`` otherwise."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApplicationError("The push carries no Bearer id token.", code="bad_signature")
    try:
        claims = id_token.verify_token(
            token.strip(),
            auth_requests.Request(),
            audience=settings.GOOGLE_PLAY_PUSH_AUDIENCE,
            certs_url=settings.GOOGLE_PLAY_PUSH_CERTS_URL,
        )
    except auth_exceptions.TransportError as exc:  # Google's certificates could not be fetched: Pub/Sub retries
        raise _provider_error(exc) from exc
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise ApplicationError(f"The push's id token does not verify: {exc}", code="bad_signature") from exc
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise ApplicationError("The push's id token was not issued by Google.", code="bad_signature")
    expected = settings.GOOGLE_PLAY_PUSH_SERVICE_ACCOUNT
    if expected and (claims.get("email") != expected or claims.get("email_verified") is not True):
        raise ApplicationError("The push was sent for another service account.", code="bad_signature")
    return claims


def notification_decode(*, data: str) -> dict:
    """A real-time developer notification: the push message's ``data``, base64 of a JSON object;
    400 ``invalid`` when it is not one."""
    try:
        notification = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ApplicationError("The message's data is not a developer notification.", code="invalid") from exc
    if not isinstance(notification, dict):
        raise ApplicationError("The message's data is not a developer notification.", code="invalid")
    return notification


def subscription_get(*, token: str) -> dict:
    """``purchases.subscriptionsv2.get``: the SubscriptionPurchaseV2 Google holds now for this
    token (its ``subscriptionState``, line items with their expiry, acknowledgement). 400
    ``invalid_receipt`` when Google knows no such subscription; 502 when it cannot be asked."""
    package = settings.GOOGLE_PLAY_PACKAGE
    try:
        return _execute(
            lambda subs: subs.get(packageName=package, token=token),
            resource=lambda service: service.purchases().subscriptionsv2(),
        )
    except api_errors.HttpError as exc:
        if exc.status_code in RECEIPT_REFUSED:
            raise ApplicationError(
                f"Google Play knows no such subscription ({exc.status_code}).", code="invalid_receipt"
            ) from exc
        raise _provider_error(exc) from exc
    except _TRANSPORT_ERRORS as exc:
        raise _provider_error(exc) from exc


def subscription_acknowledge(*, product_id: str, token: str) -> bool:
    """``purchases.subscriptions.acknowledge`` (Play refunds a subscription left unacknowledged for
    three days); False (and a log line) when it failed: the next redemption or notification retries."""
    package = settings.GOOGLE_PLAY_PACKAGE
    try:
        _execute(
            lambda subs: subs.acknowledge(packageName=package, subscriptionId=product_id, token=token, body={}),
            resource=lambda service: service.purchases().subscriptions(),
        )
    except (api_errors.HttpError, *_TRANSPORT_ERRORS):
        logger.exception("Google Play did not acknowledge a subscription of %s", product_id)
        return False
    return True


def refund_review(*, order_id: str, body: dict) -> str:
    """``orders.reviewrefund``: the studio's answer to a Play refund review (a chargeback Google
    asks the developer about), ``body`` an OrdersReviewRefundRequest. Google records the first
    answer to a review and ignores later ones. Returns ``accepted``; raises ``StoreAnswerFailed``."""
    package = settings.GOOGLE_PLAY_PACKAGE
    try:
        _execute(
            lambda orders: orders.reviewrefund(packageName=package, orderId=order_id, body=body),
            resource=lambda service: service.orders(),
        )
    except api_errors.HttpError as exc:
        raise StoreAnswerFailed(str(exc.status_code)) from exc
    except _TRANSPORT_ERRORS as exc:
        raise StoreAnswerFailed(f"unreachable: {type(exc).__name__}") from exc
    return "accepted"
