"""What accounts let higher apps react to, without knowing them (``gameplatform.core.hooks``).

Apps above accounts register their reactions in their ``AppConfig.ready``; ``user_delete`` calls
them inside its transaction, before the user's row goes, so a reaction still sees the rows that
will cascade with the user and commits or rolls back with the deletion.

- ``user_deleting(user)``: a user is being deleted (by the admin, or the demo data's reset); the
  user's row is locked. E.g. the world's characters go through the world's own deletion (each
  leaves its party first), which a cascade would skip.
- ``user_deleted(user_id)``: the user's row is gone (same transaction; act after commit with
  ``transaction.on_commit``). The place an outbound ``account.deleted`` event is sent from.
- ``user_export``: keyed by a domain of the export (``GET /api/me/export/``); each app that
  holds rows about a user registers its part (``accounts.exports.ExportPart``) in its ``ready``.
- ``lock_details(user)``: what a suspended or banned account is told when it is refused.
- ``app_transaction_id(signed)``: the App Store's verified ``appTransactionId`` of a signed
  AppTransaction the app sent with Apple's age range (the payments app verifies it with Apple's
  library); raises the store's refusal when it does not verify. One provider.
- ``met(user_a_id, user_b_id)``: whether two players shared a room of the app that answers (a game,
  a lobby, a group); any answer True is enough (``accounts.policy.contact_require``).
"""

from accounts.models import User
from gameplatform.core.hooks import Hook, KeyedHook

user_deleting: Hook[[User], None] = Hook("user_deleting")
user_deleted: Hook[[int], None] = Hook("user_deleted")
# One function per domain of the export: the domain's JSON for the user.
user_export: KeyedHook[[User], object] = KeyedHook("user_export")
# What a locked account is told beyond ``until`` (the safety app: ``sanction_id``, ``statement``,
# ``appeal_token``): one provider, called only for a locked account.
lock_details: Hook[[User], dict] = Hook("lock_details")
# Whether two users shared a game, lobby or group: any number of providers, one per app.
met: Hook[[int, int], bool] = Hook("met")
app_transaction_id: Hook[[str], str] = Hook("app_transaction_id")
