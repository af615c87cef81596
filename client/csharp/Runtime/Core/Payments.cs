using System.Collections.Generic;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace GamePlatform
{
    /// <summary>
    /// Payments (<c>/api/payments/</c>): the products, my purchases, and the redemption of an app
    /// store's receipt (Apple's StoreKit 2, Google Play Billing), which grants its product once. A store
    /// the server is not configured for answers 404 <c>not_configured</c>.
    /// </summary>
    public sealed class PaymentsApi
    {
        readonly Client client;

        internal PaymentsApi(Client client)
        {
            this.client = client;
        }

        /// <summary><c>[{id, name, kind (premium/gems/item/subscription), price, currency, grants}]</c>; <c>price</c> in the currency's minor unit; a subscription's also <c>period</c> (ISO 8601, <c>P1M</c>) and <c>entitlement</c>.</summary>
        public Task<List<JToken>> ProductsAsync()
        {
            return client.AllAsync("/api/payments/products/", new Dictionary<string, string> { { "page_size", "200" } });
        }

        /// <summary>My purchases, newest first, refunded ones included: <c>[{id, product, store, status, created_at}]</c>.</summary>
        public Task<List<JToken>> PurchasesAsync()
        {
            return client.AllAsync("/api/payments/purchases/", new Dictionary<string, string> { { "page_size", "200" } });
        }

        /// <summary>
        /// My subscriptions in every store, newest first: <c>[{id, product, store, status, current_period_end, will_renew}]</c>;
        /// <c>active</c> and <c>grace</c> hold their entitlement (a store's own subscription arrives by redeeming its purchase).
        /// </summary>
        public Task<List<JToken>> SubscriptionsAsync()
        {
            return client.AllAsync("/api/payments/subscriptions/", new Dictionary<string, string> { { "page_size", "200" } });
        }

        /// <summary>Stops a Stripe subscription renewing (it runs to its period's end); 409 <c>cancel_in_store</c> for an App Store or Google Play one.</summary>
        public Task<JToken> CancelSubscriptionAsync(long subscriptionId)
        {
            return client.PostAsync("/api/payments/subscriptions/" + subscriptionId + "/cancel/", new JObject());
        }

        /// <summary>Stripe's customer portal (card, invoices, cancel), <c>{url}</c>: open it.</summary>
        public Task<JToken> PortalAsync()
        {
            return client.PostAsync("/api/payments/portal/", new JObject());
        }

        /// <summary>A Stripe Checkout session for one product, <c>{url, session_id}</c>: open its <c>url</c>; granted once Stripe says it was paid.</summary>
        public Task<JToken> CheckoutAsync(string productId)
        {
            return client.PostAsync("/api/payments/checkout/", new JObject { { "product_id", productId } });
        }

        /// <summary>
        /// Redeems an App Store purchase: StoreKit 2's <c>jwsRepresentation</c>. Answers
        /// <c>{purchase, grants}</c>; 409 <c>already_redeemed</c>, 400 <c>invalid_receipt</c>.
        /// </summary>
        public Task<JToken> RedeemAppleAsync(string signedTransaction, string productId)
        {
            return client.PostAsync("/api/payments/apple/", new JObject { { "signed_transaction", signedTransaction }, { "product_id", productId } });
        }

        /// <summary>
        /// Redeems a Google Play purchase: Play Billing's <c>purchaseToken</c>. Answers
        /// <c>{purchase, grants}</c>; 409 <c>already_redeemed</c>, 400 <c>invalid_receipt</c>.
        /// </summary>
        public Task<JToken> RedeemGoogleAsync(string purchaseToken, string productId)
        {
            return client.PostAsync("/api/payments/google/", new JObject { { "purchase_token", purchaseToken }, { "product_id", productId } });
        }
    }
}
