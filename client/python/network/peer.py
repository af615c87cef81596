"""Seed 002's command-line client (``python -m network.peer``), against ``GAMEPLATFORM_URL``.

python -m network.peer                      # the server's status
python -m network.peer USERNAME PASSWORD    # log in, enter the world, print its chat
"""

from __future__ import annotations

import asyncio
import sys

from gameplatform_client import GameplatformError

from .client import NetworkClient
from .protocol import MessageType


async def _main(args: list[str]) -> int:
    client = NetworkClient()
    try:
        status = await client.get_status()
        print(
            f"{client.url}: {status['status']} (version {status.get('version')}, {status.get('online_users')} online)"
        )
        if len(args) != 2:
            print("python -m network.peer USERNAME PASSWORD: log in, enter the world and print its chat")
            return 0
        client.register_handler(MessageType.CHAT, lambda m: print(f"[{m.channel}] {m.sender_name}: {m.content}"))
        client.register_handler(MessageType.ERROR, lambda m: print(f"Error {m.error_code}: {m.error_message}"))
        await client.connect(*args)
        print(f"Current reality: {(await client.get_world_state())['current_reality']} (Ctrl-C to leave)")
        await asyncio.Event().wait()
    except GameplatformError as exc:
        print(f"{client.url}: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.disconnect()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(_main(sys.argv[1:])))
    except KeyboardInterrupt:
        sys.exit(0)
