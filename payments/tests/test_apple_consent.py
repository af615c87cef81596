"""Apple's ``RESCIND_CONSENT`` App Store Server Notification: a parent withdrew consent for a child's
use of the app. The account that sent that install's signed AppTransaction with Apple's age range
loses its sessions (refresh tokens die, sockets close) and what consent allowed (its band goes back
to unknown; its birth date, consent and install id are removed)."""

import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from conftest import closed_with, receive_type
from payments.tests.apple_chain import BUNDLE_ID

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATIONS = "/api/payments/apple/notifications/"


def app_transaction(chain, install: str) -> str:
    """The app's signed AppTransaction, as StoreKit gives it (``AppTransaction.shared``)."""
    now_ms = int(time.time() * 1000)
    return chain.sign(
        {
            "receiptType": "Sandbox",
            "bundleId": BUNDLE_ID,
            "applicationVersion": "1",
            "receiptCreationDate": now_ms,
            "originalPurchaseDate": now_ms,
            "originalApplicationVersion": "1",
            "appTransactionId": install,
            "originalPlatform": "iOS",
        }
    )


def rescind(chain, install: str) -> str:
    """The signed ``RESCIND_CONSENT`` notification for an install (its ``appData``)."""
    payload = {
        "notificationType": "RESCIND_CONSENT",
        "notificationUUID": str(uuid.uuid4()),
        "appData": {
            "bundleId": BUNDLE_ID,
            "environment": "Sandbox",
            "signedAppTransactionInfo": app_transaction(chain, install),
        },
        "version": "2.0",
        "signedDate": int(time.time() * 1000),
    }
    return chain.sign(payload)


def put_apple_age(client, chain, install: str):
    body = {"band": "13_15", "source": "apple", "app_transaction": app_transaction(chain, install)}
    return client.put("/api/me/age/", body, format="json")


def test_an_age_range_with_a_forged_app_transaction_is_refused(client_for, alice, apple):
    from payments.tests.apple_chain import AppleChain

    answer = put_apple_age(client_for(alice), AppleChain(), "install-1")
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_receipt")


async def test_rescind_consent_ends_the_child_s_sessions_and_resets_the_band(client_for, ws_connect, alice, bob, apple):
    assert (await sync_to_async(put_apple_age)(client_for(alice), apple, "install-1")).status_code == 200
    tokens = await sync_to_async(tokens_for)(alice)
    ws, connected, _ = await ws_connect("/ws/notifications/", alice)
    bob_ws, _, _ = await ws_connect("/ws/notifications/", bob)
    assert connected

    answer = await sync_to_async(APIClient().post)(
        NOTIFICATIONS, {"signedPayload": rescind(apple, "install-1")}, format="json"
    )
    assert answer.json() == {"outcome": "consent_rescinded"}

    assert await closed_with(ws) == 4403
    refreshed = await sync_to_async(APIClient().post)(
        "/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401
    child = await User.objects.aget(pk=alice.pk)
    assert (child.age_band, child.age_source, child.birth_date, child.apple_app_transaction_id) == (
        "unknown",
        "",
        None,
        "",
    )
    await bob_ws.send_json_to({"type": "ping"})
    assert (await receive_type(bob_ws, "pong"))["type"] == "pong"  # another account keeps its socket
    await bob_ws.disconnect()


def test_rescind_consent_for_an_install_no_account_sent_changes_nothing(client_for, alice, apple):
    put_apple_age(client_for(alice), apple, "install-1")
    answer = APIClient().post(NOTIFICATIONS, {"signedPayload": rescind(apple, "install-2")}, format="json")
    assert answer.json() == {"outcome": "no_account"}
    assert User.objects.get(pk=alice.pk).age_band == "13_15"
