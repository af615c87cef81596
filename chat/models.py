# The chat app has two areas, each a subpackage: lobbies (lobby chat and moderation)
# and dms (direct messages). Their models are collected here for Django.
from chat.dms.models import *  # noqa: F401,F403
from chat.lobbies.models import *  # noqa: F401,F403
