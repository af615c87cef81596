// Store: the products on sale (Buy goes to Stripe's Checkout page), my purchases, and my premium.
// Nothing is granted in the page: Stripe's signed webhook grants on the server, and Checkout sends
// the buyer back to /play/?checkout=success (or cancel).

import { $, button, el, fill, showInfo, time } from "./ui.js";

let app;

export function setup(theApp) {
  app = theApp;
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
  const [products, purchases] = await Promise.all([app.gp.payments.products(), app.gp.payments.purchases()]).catch(
    (error) => {
      if (error?.code !== "not_configured") throw error;
      return [null, []];
    },
  );
  $("#store-off").hidden = products !== null;
  fill($("#store-products"), (products || []).map(productRow));
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

export function describeGrants(grants) {
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
    ` ${describeGrants(product.grants)}, ${price(product)} `,
    button("Buy", () => buy(product), { class: "small buy" }),
  );
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
