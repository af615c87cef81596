"""What each lower app's hook becomes: an event of the outbox (``services.event_emit``), written in
the transaction of the change. Registered once at start-up (``WebhooksConfig.ready``).

- liveops ``flag_changed`` → ``flag.changed``; the live events' starts and ends are found by the
  ``webhooks.live_events`` timer (``live_events``), since nothing is written when one starts.
- safety ``sanction_imposed`` / ``sanction_lifted`` / ``report_filed`` → ``sanction.imposed`` /
  ``sanction.lifted`` / ``report.filed``.
- payments ``purchase_granted`` / ``purchase_refunded`` / ``subscription_changed`` →
  ``purchase.granted`` / ``purchase.refunded`` / ``subscription.changed``.
- accounts ``user_deleting`` → ``account.deleted``.

Payloads carry ids and states, never a name, an email, a comment or an address (a receiver
looks a player up by id, and a deleted one's id stays anonymous).
"""

from accounts import hooks as accounts_hooks
from gameplatform.chat.rooms import timestamp
from liveops import hooks as liveops_hooks
from payments import hooks as payments_hooks
from safety import hooks as safety_hooks
from webhooks.services import check_configuration, event_emit


def sanction_data(sanction) -> dict:
    return {
        "sanction": {
            "id": sanction.pk,
            "user_id": sanction.user_id,
            "action": sanction.action,
            "rule": sanction.rule,
            "automated": sanction.automated,
            "starts_at": timestamp(sanction.starts_at),
            "ends_at": timestamp(sanction.ends_at),
            "lifted_at": timestamp(sanction.lifted_at),
        }
    }


def report_data(report) -> dict:
    return {
        "report": {
            "id": report.pk,
            "reporter_id": report.reporter_id,
            "user_id": report.user_id,
            "reason": report.reason,
            "context": report.context,
            "created_at": timestamp(report.created_at),
        }
    }


def purchase_data(purchase) -> dict:
    return {
        "purchase": {
            "id": purchase.pk,
            "user_id": purchase.user_id,
            "product_id": purchase.product_id,
            "store": purchase.store,
            "status": purchase.status,
            "amount": purchase.amount,
            "currency": purchase.currency,
            "created_at": timestamp(purchase.created_at),
            "refunded_at": timestamp(purchase.refunded_at),
        }
    }


def subscription_data(subscription) -> dict:
    return {
        "subscription": {
            "id": subscription.pk,
            "user_id": subscription.user_id,
            "product_id": subscription.product_id,
            "store": subscription.store,
            "status": subscription.status,
            "current_period_end": timestamp(subscription.current_period_end),
            "will_renew": subscription.will_renew,
        }
    }


def flag_changed(name: str, action: str, flag: dict) -> None:
    event_emit(type="flag.changed", data={"action": action, "flag": flag})


def sanction_imposed(sanction) -> None:
    event_emit(type="sanction.imposed", data=sanction_data(sanction))


def sanction_lifted(sanction) -> None:
    event_emit(type="sanction.lifted", data=sanction_data(sanction))


def report_filed(report) -> None:
    event_emit(type="report.filed", data=report_data(report))


def purchase_granted(purchase) -> None:
    event_emit(type="purchase.granted", data=purchase_data(purchase))


def purchase_refunded(purchase) -> None:
    event_emit(type="purchase.refunded", data=purchase_data(purchase))


def subscription_changed(subscription) -> None:
    event_emit(type="subscription.changed", data=subscription_data(subscription))


def account_deleted(user) -> None:
    event_emit(type="account.deleted", data={"user_id": user.pk})


def register() -> None:
    """Each reaction once (a hook adds a function registered again nothing)."""
    check_configuration()
    liveops_hooks.flag_changed.register(flag_changed)
    safety_hooks.sanction_imposed.register(sanction_imposed)
    safety_hooks.sanction_lifted.register(sanction_lifted)
    safety_hooks.report_filed.register(report_filed)
    payments_hooks.purchase_granted.register(purchase_granted)
    payments_hooks.purchase_refunded.register(purchase_refunded)
    payments_hooks.subscription_changed.register(subscription_changed)
    accounts_hooks.user_deleting.register(account_deleted)
