# The matchmaking app has two areas, each a subpackage: queue (pairing players into
# games) and invites (to games and lobbies). Their models are collected here for Django.
from matchmaking.invites.models import *  # noqa: F401,F403
from matchmaking.queue.models import *  # noqa: F401,F403
