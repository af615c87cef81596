"""The store on a server configured with a local stand-in of Stripe (payments/tests/stripe_standin.py).

The web client's Store tab, in headless Chromium, lists the products, shows the player's premium
and purchases, and follows Buy to the Checkout page the stand-in's session names; a subscription
bought there shows with its renewal, stops renewing on Cancel renewal, and Manage billing opens
Stripe's customer portal. The Python SDK's store calls run against the same server (one server
for the module: each costs seconds to start)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gameplatform_client import GameClient, NotFound

from gameplatform.tests.live import LiveServer
from payments.tests import stripe_standin
from payments.tests.stripe_standin import StripeStandIn, signed
from webclient.tests.test_browser import register, tab

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def stripe():
    with StripeStandIn(local_checkout=True) as standin:
        yield standin


@pytest.fixture(scope="module")
def server_with_stripe(stripe, tmp_path_factory):
    # Without Redis: the session's own live server uses the test Redis, and its ids overlap this one's.
    env = {
        "STRIPE_SECRET_KEY": stripe_standin.SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": stripe_standin.WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe.base,
        "REDIS_URL": "",
    }
    server = LiveServer(tmp_path_factory.mktemp("store_live"), env=env)
    server.start()
    yield server
    server.stop()


def test_the_store_lists_the_products_and_buy_goes_to_stripe_checkout(server_with_stripe, stripe, new_page):
    """The Store tab lists the products, and Buy goes to Stripe Checkout. Its own steps take
    seconds; as the module's first test it starts the Stripe stand-in, a server of its own
    (migrated and seeded from scratch) and Chromium."""
    page = new_page("buyer")
    register(page, server_with_stripe.http, "buyer_1")
    tab(page, "store")
    page.wait_for_selector("#store-products li[data-product='gems-100']")
    products = page.locator("#store-products li").all_text_contents()
    assert any("100 gems" in row and "1.99" in row for row in products), products
    assert any("premium for 30 days" in row and "4.99" in row for row in products), products
    assert page.text_content("#store-premium") == "No premium at the moment."
    assert page.text_content("#store-purchases") == "No purchases yet."
    assert not page.problems, page.problems  # (the stand-in's page has no favicon: checked before leaving)
    page.click("#store-products li[data-product='gems-100'] button.buy")
    page.wait_for_url(f"{stripe.base}/c/pay/**")
    [session] = stripe.sessions.values()
    assert page.url.endswith(f"/c/pay/{session['id']}")
    assert session["metadata"] == {"product_id": "gems-100"}
    assert session["success_url"].startswith(f"{server_with_stripe.http}/play/?checkout=success")


def test_coming_back_from_checkout_says_what_happens_next(server_with_stripe, new_page):
    """Coming back from Stripe Checkout, the store says what happens next. Its own steps take
    seconds (a registration, one page); the rest of its time is the module's fixtures (the Stripe
    stand-in, a server of its own migrated and seeded from scratch, Chromium), started by the
    first test of the module on a worker and stopped after the last."""
    page = new_page("returning")
    register(page, server_with_stripe.http, "buyer_2")
    page.goto(f"{server_with_stripe.http}/play/?checkout=cancel#store")
    page.wait_for_selector("[data-panel=store]:not([hidden])")
    page.wait_for_selector("text=The checkout was cancelled")
    assert "checkout=" not in page.url


def test_a_subscription_shows_its_renewal_cancels_its_renewal_and_opens_the_billing_portal(
    server_with_stripe, stripe, new_page
):
    page = new_page("subscriber")
    register(page, server_with_stripe.http, "subscriber_1")
    tab(page, "store")
    page.wait_for_selector("#store-subscriptions li")
    assert page.text_content("#store-subscriptions") == "No subscriptions."
    assert page.is_hidden("#store-portal")
    row = page.locator("#store-products li[data-product='premium-monthly']")
    assert "premium, every month" in row.text_content() and "4.99" in row.text_content()
    row.locator("button.buy").click()  # Subscribe: to the stand-in's Checkout page
    page.wait_for_url(f"{stripe.base}/c/pay/**")
    pay(server_with_stripe, stripe, page.url.rsplit("/", 1)[1])

    page.goto(f"{server_with_stripe.http}/play/#store")
    listed = page.locator("#store-subscriptions li[data-status='active']")
    listed.wait_for()
    assert "Premium, monthly (stripe): active, renews on" in listed.text_content()
    assert page.text_content("#store-premium").startswith("Premium until")
    listed.locator("button.cancel").click()
    page.wait_for_selector("#store-subscriptions li:has-text('ends on')")
    assert page.locator("#store-subscriptions button.cancel").count() == 0
    assert [s["cancel_at_period_end"] for s in stripe.subscriptions.values()] == [True]
    page.click("#store-portal")
    page.wait_for_url(f"{stripe.base}/p/session/**")


def pay(server, stripe, session_id: str) -> None:
    """The buyer paid the stand-in's Checkout session: Stripe's signed webhooks reach the server."""
    for event in stripe.subscribe(session_id):
        payload, signature = signed(event)
        answer = httpx.post(
            f"{server.http}/api/payments/stripe/webhook/",
            content=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text


def test_the_python_sdk_lists_buys_and_cancels_a_subscription(server_with_stripe, stripe):
    # On a thread of its own: this module's browser (Playwright's sync API) holds this thread's loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, sdk_subscribes(server_with_stripe, stripe)).result()


async def sdk_subscribes(server_with_stripe, stripe) -> None:
    async with GameClient(server_with_stripe.http) as client:
        await client.register("sdk_subscriber", "a-long-pass-phrase-42")
        products = {product["id"]: product for product in await client.products()}
        monthly = products["premium-monthly"]
        assert (monthly["kind"], monthly["period"], monthly["entitlement"]) == ("subscription", "P1M", "premium")
        assert await client.subscriptions() == [] and await client.purchases() == []
        checkout = await client.checkout("premium-monthly")
        assert checkout["url"].endswith(checkout["session_id"])
        await asyncio.to_thread(pay, server_with_stripe, stripe, checkout["session_id"])

        [subscription] = await client.subscriptions()
        assert (subscription["store"], subscription["status"], subscription["will_renew"]) == ("stripe", "active", True)
        assert (await client.me())["is_premium"] is True
        cancelled = await client.cancel_subscription(subscription["id"])
        assert (cancelled["status"], cancelled["will_renew"]) == ("active", False)
        assert (await client.billing_portal())["url"].startswith(stripe.base)
        with pytest.raises(NotFound) as refused:
            await client.cancel_subscription(10**9)
        assert refused.value.code == "subscription_not_found"
