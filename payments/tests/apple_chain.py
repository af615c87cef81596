"""A certificate chain of the tests' own, shaped like Apple's, and StoreKit 2 signed transactions.

Apple signs a transaction as a JWS (ES256) whose ``x5c`` header carries the leaf, the intermediate
and the root certificate; the verifier trusts the configured roots, checks the chain and Apple's
marker extensions (1.2.840.113635.100.6.11.1 on the leaf, 1.2.840.113635.100.6.2.1 on the
intermediate). Here the tests make that chain with ``cryptography`` and sign with its leaf, so
Apple's library verifies it exactly as it verifies Apple's.
"""

import base64
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LEAF_MARKER = x509.ObjectIdentifier("1.2.840.113635.100.6.11.1")
INTERMEDIATE_MARKER = x509.ObjectIdentifier("1.2.840.113635.100.6.2.1")
BUNDLE_ID = "com.example.game"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, subject_key, issuer, issuer_key, *, ca: bool, marker=None) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if marker is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(marker, b"\x05\x00"), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class AppleChain:
    root_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    intermediate_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    leaf_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def __post_init__(self) -> None:
        self.root = _certificate("Test Root CA", self.root_key, "Test Root CA", self.root_key, ca=True)
        self.intermediate = _certificate(
            "Test WWDR", self.intermediate_key, "Test Root CA", self.root_key, ca=True, marker=INTERMEDIATE_MARKER
        )
        self.leaf = _certificate(
            "Test StoreKit", self.leaf_key, "Test WWDR", self.intermediate_key, ca=False, marker=LEAF_MARKER
        )

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def sign(self, payload: dict, *, key=None) -> str:
        chain = [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
            for c in (self.leaf, self.intermediate, self.root)
        ]
        return jwt.encode(payload, key or self.leaf_key, algorithm="ES256", headers={"x5c": chain})

    def transaction(self, product_id: str, **overrides) -> str:
        """A signed StoreKit 2 transaction of a consumable, as the App Store gives the app."""
        now_ms = int(time.time() * 1000)
        transaction_id = overrides.pop("transactionId", str(uuid.uuid4().int)[:16])
        payload = {
            "transactionId": transaction_id,
            "originalTransactionId": transaction_id,
            "bundleId": BUNDLE_ID,
            "productId": product_id,
            "purchaseDate": now_ms,
            "originalPurchaseDate": now_ms,
            "quantity": 1,
            "type": "Consumable",
            "inAppOwnershipType": "PURCHASED",
            "signedDate": now_ms,
            "environment": "Sandbox",
            "transactionReason": "PURCHASE",
            "storefront": "USA",
            "price": 1990,
            "currency": "USD",
            **overrides,
        }
        return self.sign(payload)

    def subscription_transaction(self, product_id: str, original_id: str, *, expires_ms: int, **overrides) -> str:
        """A signed transaction of an auto-renewable subscription: one period, ending ``expires_ms``."""
        now_ms = int(time.time() * 1000)
        return self.transaction(
            product_id,
            originalTransactionId=original_id,
            type="Auto-Renewable Subscription",
            expiresDate=expires_ms,
            subscriptionGroupIdentifier="21000000",
            webOrderLineItemId=str(uuid.uuid4().int)[:16],
            **{"signedDate": now_ms, **overrides},
        )

    def renewal_info(self, product_id: str, original_id: str, **overrides) -> str:
        """A subscription's signed renewal info (JWSRenewalInfo), auto-renew on unless overridden."""
        payload = {
            "originalTransactionId": original_id,
            "autoRenewProductId": product_id,
            "productId": product_id,
            "autoRenewStatus": 1,
            "signedDate": int(time.time() * 1000),
            "environment": "Sandbox",
            **overrides,
        }
        return self.sign(payload)

    def notification(
        self, kind: str, signed_transaction: str, *, renewal: str | None = None, subtype: str | None = None, **overrides
    ) -> str:
        """An App Store Server Notification V2's ``signedPayload`` about one transaction (and, for a
        subscription, its renewal info and the notification's subtype)."""
        data = {"bundleId": BUNDLE_ID, "environment": "Sandbox", "signedTransactionInfo": signed_transaction}
        if renewal is not None:
            data["signedRenewalInfo"] = renewal
        payload = {
            "notificationType": kind,
            **({"subtype": subtype} if subtype else {}),
            "notificationUUID": str(uuid.uuid4()),
            "data": data,
            "version": "2.0",
            "signedDate": int(time.time() * 1000),
            **overrides,
        }
        return self.sign(payload)
