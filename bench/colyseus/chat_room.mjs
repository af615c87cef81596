// The platform's lobby chat (docs/domains/chat.md) as a Colyseus 0.18 room, for
// bench/side_by_side.py --scenario lobby: what a lobby's chat does on the wire, nothing more.
// A client sends `chat {text}`; the room broadcasts `chat {from, text, at}` to every client of
// the room, the sender included (the platform's lobby echoes to the sender too). Nothing is
// stored, no rate limit, no state: Colyseus encodes the message once and writes it to each socket.
import { Room } from "@colyseus/core";

const MAX_TEXT = 1000; // the platform's longest message

export class ChatRoom extends Room {
  maxClients = 64; // the platform's largest lobby
  autoDispose = true;

  onCreate() {
    this.onMessage("chat", (client, data) => {
      const text = data && typeof data.text === "string" ? data.text.trim() : "";
      if (!text || text.length > MAX_TEXT) return;
      this.broadcast("chat", { from: client.sessionId, text, at: Date.now() });
    });
  }
}
