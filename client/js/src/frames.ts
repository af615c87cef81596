/** The frames of the contract's sockets (docs/websocket-frames.md has every one). */
import type { GameOverReason, GamePhase, Id, SanctionNotice } from "./types.js";

/** Any frame: a JSON object with a `type`, its fields beside it. */
export interface Frame {
  type: string;
  [field: string]: unknown;
}

export interface PongFrame {
  type: "pong";
  ref?: string;
}

export interface GamePlayer {
  id: Id;
  username: string;
  score: number;
  side: string;
  ready: boolean;
  connected: boolean;
  forfeited?: boolean;
}

/** Sent on connect and after every change: the game as this player may see it (`view`). */
export interface GameStateFrame<View = unknown> {
  type: "game_state";
  id: Id;
  mode: string;
  state: GamePhase;
  players: GamePlayer[];
  board?: (string | null)[] | null;
  turn: Id | null;
  turn_deadline?: number | null;
  winner_id: Id | null;
  reason?: string | null;
  tick: number;
  version?: number;
  view: View;
}

export interface PatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: unknown;
  from?: string;
}

/** An RFC 6902 patch turning my previous view into my new one. */
export interface StatePatchFrame {
  type: "state_patch";
  tick: number;
  ops: PatchOperation[];
  turn?: Id | null;
  turn_deadline?: number | null;
}

export interface GameOverFrame {
  type: "game_over";
  winner_id: Id | null;
  reason: GameOverReason;
}

export interface AckFrame {
  type: "ack";
  ref: string;
  /** True when the server had taken this `ref` already (the frame was sent again): not applied twice. */
  duplicate?: boolean;
}

export interface GameFrames {
  game_state: GameStateFrame;
  state_patch: StatePatchFrame;
  game_over: GameOverFrame;
  ack: AckFrame;
  pong: PongFrame;
  player_ready: { type: "player_ready"; user_id: Id };
  game_start: { type: "game_start" };
  player_move: { type: "player_move"; user_id: Id; movement: unknown };
  game_action: { type: "game_action"; user_id: Id; action: string; data: unknown };
  player_disconnected: { type: "player_disconnected"; user_id: Id };
  player_reconnected: { type: "player_reconnected"; user_id: Id };
}

export interface MatchFoundFrame {
  type: "match_found";
  game_id: Id;
  /** True when the SDK learnt of the match by asking the server, not from this frame live. */
  replayed?: boolean;
}

/** The queue's match `game_id` was called off before its start (a player never came); I am queued again. */
export interface MatchCancelledFrame {
  type: "match_cancelled";
  game_id: Id;
  /** `no_show`: a player of the match did not come, or left before the start. */
  reason: string;
}

export interface BadgeFrame {
  type: "badge";
  unread_dms: number;
  pending_invites: number;
  pending_friend_requests: number;
}

/** A notification of any kind (`friend_request`, `invite`, `sanction`...), persisted unless `id` is null. */
export interface NotificationFrame<Payload = Record<string, unknown>> {
  type: "notification";
  id: Id | null;
  kind: string;
  payload: Payload;
  created_at: string;
}

/** A sanction imposed on me, or my appeal of one decided: its statement, its end, whether it holds. */
export interface SanctionNotificationFrame extends NotificationFrame<SanctionNotice> {
  kind: "sanction";
}

/** True for a `sanction` notification (a frame, or an inbox entry of `inbox.list()`). */
export function isSanctionNotification<T extends { kind: string; payload: unknown }>(
  notification: T,
): notification is T & { kind: "sanction"; payload: SanctionNotice } {
  return notification.kind === "sanction";
}

export interface NotificationFrames {
  match_found: MatchFoundFrame;
  match_cancelled: MatchCancelledFrame;
  badge: BadgeFrame;
  pong: PongFrame;
  presence: { type: "presence"; user_id: Id; status: "online" | "offline" };
  dm_received: { type: "dm_received"; from_user_id: Id; message_id: Id };
  notification: NotificationFrame;
  invite_created: { type: "invite_created"; invite: Record<string, unknown> };
  invite_accepted: { type: "invite_accepted"; invite: Record<string, unknown> };
  invite_declined: { type: "invite_declined"; invite: Record<string, unknown> };
  invite_cancelled: { type: "invite_cancelled"; invite: Record<string, unknown> };
  invite_expired: { type: "invite_expired"; invite: Record<string, unknown> };
  friend_request: { type: "friend_request"; request: Record<string, unknown> };
  friend_accepted: { type: "friend_accepted"; user: Record<string, unknown> };
  /** Something I see of live operations changed: `GET /api/liveops/` again (`client.liveops().onChange`). */
  liveops_changed: { type: "liveops_changed" };
}
