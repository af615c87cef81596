"""The web client's Store tab: headless Chromium on a server configured with a local stand-in of
Stripe (payments/tests/stripe_standin.py) lists the products, shows the player's premium and
purchases, and follows Buy to the Checkout page the stand-in's session names."""

import pytest

from gameplatform.tests.live import LiveServer
from payments.tests import stripe_standin
from payments.tests.stripe_standin import StripeStandIn
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
