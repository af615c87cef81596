"""Settings for the textbook comparison server: ours plus a default channels-redis layer."""

from gameplatform.settings import *  # noqa: F403
from gameplatform.settings import CHANNEL_LAYERS, REDIS_URL

CHANNEL_LAYERS["textbook"] = {
    "BACKEND": "channels_redis.core.RedisChannelLayer",
    "CONFIG": {"hosts": [REDIS_URL], "prefix": "textbook"},
}
