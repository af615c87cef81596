"""What payments lets higher apps react to, without knowing them (``gameplatform.core.hooks``).

Called inside the change's transaction, so what a reaction writes (a webhook's outbox row)
commits or rolls back with it.

- ``purchase_granted(purchase)``: a store purchase was recorded and its product granted, once.
- ``purchase_refunded(purchase)``: a granted purchase was taken back (refund, lost dispute), once.
- ``subscription_changed(subscription)``: a subscription's state changed (status, period's end,
  renewal, owner), called once per change, after the entitlement was recomputed; the ``webhooks``
  app sends it as ``subscription.changed``.
"""

from gameplatform.core.hooks import Hook
from payments.models import Purchase, Subscription

purchase_granted: Hook[[Purchase], None] = Hook("purchase_granted")
purchase_refunded: Hook[[Purchase], None] = Hook("purchase_refunded")
subscription_changed: Hook[[Subscription], None] = Hook("subscription_changed")
