from gameplatform.timers import periodic
from liveops.inbox.services import messages_deliver_due


@periodic("liveops.deliver_messages", every=1.0)
def deliver_messages() -> int:
    """Inbox messages whose send time has come are delivered to the players they match."""
    return messages_deliver_due()
