// The Colyseus peer of bench/side_by_side.py: one Node process serving the arena room and the
// chat room (--scenario lobby).
//   node server.mjs PORT
import { Server } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { ArenaRoom } from "./arena_room.mjs";
import { ChatRoom } from "./chat_room.mjs";

const port = Number(process.argv[2] || 2567);
const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define("arena", ArenaRoom);
server.define("chat", ChatRoom);
await server.listen(port, "127.0.0.1");
console.log(`colyseus arena and chat listening on 127.0.0.1:${port}`);
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
