/** gameplatform's TypeScript client: see README.md. */
export const VERSION = "1.1.0";

export { Client } from "./client.js";
export type { ClientAttributes, ClientOptions, HttpMethod, Query, RequestOptions, WebSocketConstructor, WebSocketLike } from "./client.js";
export { AccountSuspended, GamePlatformError, Muted } from "./errors.js";
export { COMPACT_SUBPROTOCOL, MSGPACK_SUBPROTOCOL, type Encoding } from "./encoding.js";
export { backoffDelay, DEFAULT_RECONNECT, DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
export { MemoryStorage, refreshDueAt, tokenClaims, type SessionStorage, type Tokens } from "./session.js";
export type * from "./types.js";
export { CLOSE_CODES, closeReason, type CloseKind, type CloseReason } from "./close.js";
export { Socket, type SendResult, type SocketOptions, type SocketStatus, type WaitOptions } from "./socket.js";
export type * from "./frames.js";
export { isSanctionNotification } from "./frames.js";
export { EVENT_BATCH_MAX, LiveOps, type LiveOpsOptions } from "./liveops.js";
export { Notifications } from "./notifications.js";
export { applyPatch, PatchError } from "./patch.js";
export { DEFAULT_REQUEST_TIMEOUT_MS, GameRoom, type CallOptions, type GameInfo, type GameRoomOptions } from "./room.js";
export type {
  ChatMessage,
  Conversation,
  DirectMessage,
  Friend,
  FriendRequest,
  Group,
  GroupMember,
  Leaderboard,
  LeaderboardRecord,
  Listing,
  Lobby,
  PageQuery,
  Checkout,
  Product,
  StorePurchase,
  Subscription,
  StoredObject,
  Tournament,
} from "./meta.js";
export { items } from "./meta.js";
