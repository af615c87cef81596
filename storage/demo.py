"""Demo cloud storage: a guest of a known device with a save, and a few objects of user_1's."""

from accounts.services import device_login
from storage.models import StorageObject
from storage.services import storage_object_put

# POST /api/auth/device/ with this id logs in as the demo guest (a demo only: a real device id is secret).
DEMO_DEVICE_ID = "demo-guest-device-0001"
OBJECTS = [
    ("user_1", "saves", "slot-1", {"level": 4, "checkpoint": "forest-gate", "hp": 37}, "owner"),
    ("user_1", "settings", "ui", {"theme": "dark", "sound": 0.6}, "owner"),
    ("user_1", "profile", "card", {"motto": "Ready when you are.", "favourite_mode": "tictactoe"}, "public"),
    ("guest", "saves", "slot-1", {"level": 1, "checkpoint": "start"}, "owner"),
]


def seed(*, users, stdout) -> None:
    guest, _ = device_login(device_id=DEMO_DEVICE_ID)
    owners = {**users, "guest": guest}
    for owner, collection, key, value, read in OBJECTS:
        user = owners[owner]
        if not StorageObject.objects.filter(user=user, collection=collection, key=key).exists():
            storage_object_put(user=user, collection=collection, key=key, value=value, read=read)
    stdout.write(f"storage: a guest ({guest.username}, device {DEMO_DEVICE_ID!r}), {len(OBJECTS)} stored objects")


def clear() -> None:
    from accounts.management.commands.seed_demo import NORMAL_USERS, PREMIUM_USERS
    from accounts.models import GuestDevice
    from accounts.services import device_hash, user_delete

    StorageObject.objects.filter(user__username__in=PREMIUM_USERS + NORMAL_USERS).delete()
    device = GuestDevice.objects.filter(device_hash=device_hash(DEMO_DEVICE_ID)).select_related("user").first()
    if device is not None:
        user_delete(user=device.user)
