"""The one module that checks App Store transactions, through Apple's App Store Server Library.

``SignedDataVerifier.verify_and_decode_signed_transaction`` checks a StoreKit 2 signed
transaction (a JWS): its ``x5c`` chain up to one of the configured root certificates, Apple's
marker extensions on the leaf and the intermediate, the ES256 signature with the leaf's key, the
bundle id and the environment; with online checks, the certificates' OCSP status too.
"""

import contextlib
import functools
from collections.abc import Iterator

from appstoreserverlibrary.models.Environment import Environment
from appstoreserverlibrary.models.JWSRenewalInfoDecodedPayload import JWSRenewalInfoDecodedPayload
from appstoreserverlibrary.models.JWSTransactionDecodedPayload import JWSTransactionDecodedPayload
from appstoreserverlibrary.models.ResponseBodyV2DecodedPayload import ResponseBodyV2DecodedPayload
from appstoreserverlibrary.signed_data_verifier import SignedDataVerifier, VerificationException
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings

from gameplatform.core.errors import ApplicationError, NotFound


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
