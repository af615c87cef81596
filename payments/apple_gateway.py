"""The one module that checks App Store transactions, through Apple's App Store Server Library.

``SignedDataVerifier.verify_and_decode_signed_transaction`` checks a StoreKit 2 signed
transaction (a JWS): its ``x5c`` chain up to one of the configured root certificates, Apple's
marker extensions on the leaf and the intermediate, the ES256 signature with the leaf's key, the
bundle id and the environment; with online checks, the certificates' OCSP status too.
"""

import contextlib
import functools
from collections.abc import Iterator

from appstoreserverlibrary.api_client import APIException, AppStoreServerAPIClient
from appstoreserverlibrary.models.ConsumptionRequest import ConsumptionRequest
from appstoreserverlibrary.models.DeliveryStatus import DeliveryStatus
from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.models.JWSRenewalInfoDecodedPayload import JWSRenewalInfoDecodedPayload
from appstoreserverlibrary.models.JWSTransactionDecodedPayload import JWSTransactionDecodedPayload
from appstoreserverlibrary.models.RefundPreference import RefundPreference
from appstoreserverlibrary.models.ResponseBodyV2DecodedPayload import ResponseBodyV2DecodedPayload
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from gameplatform.core.errors import ApplicationError, NotFound
from payments.gateway_errors import StoreAnswerFailed


def apple_configured() -> bool:
    return bool(settings.APPLE_ROOT_CERTIFICATES and settings.APPLE_BUNDLE_ID)


def apple_require() -> None:
    if not apple_configured():
        raise NotFound("App Store purchases are not configured on this server.", code="not_configured")


@functools.cache
def _roots(paths: tuple[str, ...]) -> list[bytes]:
    """The root certificates as DER (the library's form), from DER or PEM files."""
    roots = []
    for path in paths:
        with open(path, "rb") as file:
            data = file.read()
        if data.lstrip().startswith(b"-----BEGIN"):
            data = x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
        roots.append(data)
    return roots


def _verifier() -> SignedDataVerifier:
    return SignedDataVerifier(
        _roots(tuple(settings.APPLE_ROOT_CERTIFICATES)),
        settings.APPLE_ONLINE_CHECKS,
        Environment(settings.APPLE_ENVIRONMENT),
        settings.APPLE_BUNDLE_ID,
        settings.APPLE_APP_APPLE_ID or None,
    )


@contextlib.contextmanager
def _refused_as(what: str, *, code: str) -> Iterator[None]:
    """What Apple's library does not verify, as a 400 ``code`` naming ``what`` and the library's reason."""
    try:
        yield
    except VerificationException as exc:
        raise ApplicationError(f"The App Store {what} does not verify ({exc.status.name.lower()}).", code=code) from exc


def transaction_verify(*, signed_transaction: str) -> JWSTransactionDecodedPayload:
    """The transaction Apple signed; 400 ``invalid_receipt`` when it does not verify."""
    with _refused_as("transaction", code="invalid_receipt"):
        return _verifier().verify_and_decode_signed_transaction(signed_transaction)


def notification_verify(*, signed_payload: str) -> ResponseBodyV2DecodedPayload:
    """An App Store Server Notification V2 (its ``signedPayload``), checked as a transaction is;
    400 ``bad_signature`` when it does not verify."""
    with _refused_as("notification", code="bad_signature"):
        return _verifier().verify_and_decode_notification(signed_payload)


def app_transaction_id(signed_app_transaction: str) -> str:
    """The ``appTransactionId`` of a signed AppTransaction (the app's install, as StoreKit gives it
    or a ``RESCIND_CONSENT`` notification names it), checked as a transaction is; 404
    ``not_configured`` without Apple's settings, 400 ``invalid_receipt`` when it does not verify."""
    apple_require()
    with _refused_as("app transaction", code="invalid_receipt"):
        found = _verifier().verify_and_decode_app_transaction(signed_app_transaction).appTransactionId
    if not found:
        raise ApplicationError("The app transaction has no appTransactionId.", code="invalid_receipt")
    return str(found)


def renewal_info_verify(*, signed_renewal_info: str) -> JWSRenewalInfoDecodedPayload:
    """A subscription's signed renewal info (in a notification's data); 400 ``bad_signature``."""
    with _refused_as("renewal info", code="bad_signature"):
        return _verifier().verify_and_decode_renewal_info(signed_renewal_info)


# --- the App Store Server API ----------------------------------------------------------


def api_configured() -> bool:
    """The App Store Server API can be called: Apple's settings and an In-App Purchase key."""
    return apple_configured() and bool(
        settings.APPLE_IAP_KEY_ID and settings.APPLE_IAP_ISSUER_ID and settings.APPLE_IAP_PRIVATE_KEY
    )


def consumption_send(*, transaction_id: str, body: dict) -> str:
    """Send Consumption Information (``PUT /inApps/v2/transactions/consumption/{transactionId}``)
    through Apple's library, which signs the call's bearer token (ES256) with the In-App Purchase
    key; ``body`` has the fields of the library's ``ConsumptionRequest`` (Apple's JSON names).
    Returns the store's answer (``accepted``); raises ``StoreAnswerFailed`` otherwise."""
    client = AppStoreServerAPIClient(
        settings.APPLE_IAP_PRIVATE_KEY.encode(),
        settings.APPLE_IAP_KEY_ID,
        settings.APPLE_IAP_ISSUER_ID,
        settings.APPLE_BUNDLE_ID,
        Environment(settings.APPLE_ENVIRONMENT),
    )
    request = ConsumptionRequest(
        customerConsented=body["customerConsented"],
        sampleContentProvided=body["sampleContentProvided"],
        deliveryStatus=DeliveryStatus(body["deliveryStatus"]),
        consumptionPercentage=body.get("consumptionPercentage"),
        refundPreference=RefundPreference(body["refundPreference"]) if body.get("refundPreference") else None,
    )
    try:
        client.send_consumption_information(transaction_id, request)
    except APIException as exc:
        raise StoreAnswerFailed(f"{exc.http_status_code} {exc.raw_api_error or ''}".strip()) from exc
    except OSError as exc:  # requests' connection errors and timeouts are OSErrors
        raise StoreAnswerFailed(f"unreachable: {type(exc).__name__}") from exc
    return "accepted"
