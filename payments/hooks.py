"""What payments lets higher apps react to, without knowing them (``gameplatform.core.hooks``).

- ``subscription_changed(subscription)``: a subscription's state changed (status, period's end,
  renewal, owner), called once per change inside the transaction that made it, after the
  entitlement was recomputed. The one place an outbound ``subscription.changed`` webhook is
  emitted from: a registered function writes its outbox row here, so it commits or rolls back
  with the change.
"""

from gameplatform.core.hooks import Hook
from payments.models import Subscription

subscription_changed: Hook[[Subscription], None] = Hook("subscription_changed")
