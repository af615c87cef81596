from django.apps import AppConfig


class FriendsConfig(AppConfig):
    name = "friends"

    def ready(self) -> None:
        from accounts.exports import register_parts
        from friends.exports import PARTS

        register_parts(PARTS)

        from friends.events import PresenceFilter
        from friends.presence import announce
        from friends.selectors import pending_request_count
        from gameplatform.sockets import presence
        from notifications import hooks as notifications

        # The kit decides presence transitions; the friend graph decides who hears of them.
        presence.announcers.register("", announce)
        # The notification socket shows friends' presence, newest first; the badge counts requests.
        notifications.signal_reader.register("presence", lambda: PresenceFilter().read)
        notifications.badge_count.register("pending_friend_requests", pending_request_count)
