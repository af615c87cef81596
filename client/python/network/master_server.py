"""``python -m network.master_server``: says where seed 002's master server is on this platform."""

import sys

from .server import REASON, MasterServer

__all__ = ["MasterServer"]


def main() -> int:
    print(REASON, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
