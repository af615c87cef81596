// Store: the products on sale (Buy and Subscribe go to Stripe's Checkout page), my subscriptions
// (cancel a renewal, or manage billing in Stripe's customer portal), my purchases, and my premium.
// Nothing is granted in the page: Stripe's signed webhooks grant on the server, and Checkout sends
// the buyer back to /play/?checkout=success (or cancel).

import { $, button, el, fill, showError, showInfo, time } from "./ui.js";

let app;

export function setup(theApp) {
  app = theApp;
  $("#store-portal").addEventListener("click", async () => {
    try {
      location.assign((await app.gp.payments.portal()).url);
    } catch (error) {
      showError(error);
    }
  });
  const back = new URLSearchParams(location.search).get("checkout");
  if (back) {
    history.replaceState(null, "", location.pathname + location.hash);
    showInfo(
      back === "success"
        ? "Thank you: the purchase is granted as soon as the payment is confirmed."
        : "The checkout was cancelled: nothing was charged.",
    );
  }
}

export async function show() {
  app.me = await app.gp.get("/api/me/");
  app.showWhoami();
  showPremium(app.me);
  const [products, purchases, subscriptions] = await Promise.all([
    app.gp.payments.products(),
    app.gp.payments.purchases(),
    app.gp.payments.subscriptions(),
  ]).catch((error) => {
    if (error?.code !== "not_configured") throw error;
    return [null, [], []];
  });
  $("#store-off").hidden = products !== null;
  fill($("#store-products"), (products || []).map(productRow));
  fill(
    $("#store-subscriptions"),
    subscriptions.length ? subscriptions.map(subscriptionRow) : [el("li", { class: "muted" }, "No subscriptions.")],
  );
  $("#store-portal").hidden = !subscriptions.some((subscription) => subscription.store === "stripe");
  fill(
    $("#store-purchases"),
    purchases.length ? purchases.map(purchaseRow) : [el("li", { class: "muted" }, "No purchases yet.")],
  );
}

export function price(product) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency: product.currency.toUpperCase() }).format(
    product.price / 100,
  );
}

const PERIODS = { P1W: "week", P1M: "month", P3M: "3 months", P6M: "6 months", P1Y: "year" };

export function describeGrants(grants, product = {}) {
  if (product.kind === "subscription") return `${product.entitlement}, every ${PERIODS[product.period] || product.period}`;
  if (grants.premium_days) return `premium for ${grants.premium_days} days`;
  if (grants.gems) return `${grants.gems} gems`;
  if (grants.item) return `${grants.quantity} × ${grants.item.name}`;
  return "";
}

function productRow(product) {
  return el(
    "li",
    { dataset: { product: product.id } },
    el("strong", {}, product.name),
    ` ${describeGrants(product.grants, product)}, ${price(product)} `,
    button(product.kind === "subscription" ? "Subscribe" : "Buy", () => buy(product), { class: "small buy" }),
  );
}

const STATUS = {
  active: "active",
  grace: "payment failed: still yours while the store retries",
  past_due: "payment failed",
  cancelled: "cancelled",
  expired: "ended",
  refunded: "refunded",
};

function subscriptionRow(subscription) {
  const end = new Date(subscription.current_period_end).toLocaleDateString();
  const holds = subscription.status === "active" || subscription.status === "grace";
  const when = holds ? (subscription.will_renew ? `, renews on ${end}` : `, ends on ${end}`) : "";
  return el(
    "li",
    { dataset: { subscription: subscription.id, status: subscription.status } },
    el("strong", {}, subscription.product.name),
    ` (${subscription.store}): ${STATUS[subscription.status] || subscription.status}${when} `,
    subscription.store === "stripe" && subscription.will_renew
      ? button("Cancel renewal", () => cancelRenewal(subscription), { class: "small cancel" })
      : null,
  );
}

async function cancelRenewal(subscription) {
  await app.gp.payments.cancelSubscription(subscription.id);
  showInfo(`${subscription.product.name} will not renew: it stays yours until its period ends.`);
  await show();
}

async function buy(product) {
  const checkout = await app.gp.payments.checkout(product.id);
  location.assign(checkout.url);
}

function purchaseRow(purchase) {
  return el(
    "li",
    { dataset: { purchase: purchase.id, status: purchase.status } },
    `${purchase.product.name} (${purchase.store}), ${time(purchase.created_at)}`,
    purchase.status === "refunded" ? el("span", { class: "muted" }, " refunded") : null,
  );
}

function showPremium(me) {
  const until = me.premium_until ? new Date(me.premium_until) : null;
  $("#store-premium").textContent =
    until && until > new Date() ? `Premium until ${until.toLocaleString()}.` : "No premium at the moment.";
}
