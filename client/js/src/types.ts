/** The shapes of the contract's REST answers (docs/api.md; the OpenAPI schema has every field). */

export type Id = number;

/** A paginated list: `results` is one page, `next` / `previous` the neighbouring pages' URLs. */
export interface Page<T> {
  next: string | null;
  previous: string | null;
  results: T[];
  /** Numbered pages (`page`, `page_size`) say how many rows there are in all; cursor pages do not. */
  count?: number;
}

export interface PublicUser {
  id: Id;
  username: string;
  display_name: string;
  is_premium: boolean;
}

export interface Me extends PublicUser {
  email: string;
  date_joined: string;
  premium_until?: string | null;
  is_guest?: boolean;
  age_band?: AgeBand;
  age_source?: string;
}

/** The bands the stores and the law use (docs/accounts-and-the-law.md). */
export type AgeBand = "under_13" | "13_15" | "16_17" | "adult" | "unknown";

/** What `setAge` sends: a declared birth date (YYYY-MM-DD), or a store's band and its source. */
export type AgeInput =
  | { birth_date: string }
  | { band: AgeBand; source: "apple" | "google"; app_transaction?: string };

export interface Age {
  age_band: AgeBand;
  age_source: string;
}

export interface Registration {
  username: string;
  email: string;
  password: string;
  /** The password again; the SDK fills it in with `password` when left out. */
  password_confirm?: string;
}

export interface TokenPair {
  access: string;
  refresh: string;
}

export interface RegisterAnswer extends TokenPair {
  user: Me;
}

export interface DeviceLoginAnswer extends TokenPair {
  user: Me;
  created: boolean;
}

export interface WsTicket {
  ticket: string;
  expires_in: number;
}

export interface ServerStatus {
  status: string;
  version: string;
  uptime_s: number;
  database: string;
  channel_layer: string;
  online_users: number;
}

// --- matchmaking and invites ---------------------------------------------------------

export type QueueAnswer =
  | { status: "queued"; mode: string; position: number }
  | { status: "matched"; game_id: Id; mode?: string };

export interface QueueStatus {
  status: "idle" | "queued" | "matched";
  mode: string | null;
  position: number | null;
  game_id: Id | null;
}

export interface Invite {
  id: Id;
  from_user: PublicUser;
  to_user: PublicUser;
  kind: "game" | "lobby" | "party";
  status: string;
  expires_at: string;
  mode?: string | null;
  lobby_id?: Id | null;
}

export type InviteRequest =
  | { to_user_id: Id; kind: "game"; mode?: string }
  | { to_user_id: Id; kind: "lobby"; lobby_id: Id };

export interface InviteAccepted {
  status: "accepted";
  game_id?: Id;
  lobby_id?: Id;
}

// --- games ---------------------------------------------------------------------------------

export type GamePhase = "waiting_for_players" | "waiting_for_ready" | "active" | "finished" | "abandoned" | "aborted";
export type GameOverReason = "win" | "draw" | "forfeit" | "abandoned" | (string & {});

export interface GameSummary {
  id: Id;
  mode: string;
  state: GamePhase;
  players: { id: Id; username: string; score?: number; side?: string }[];
  winner_id: Id | null;
  created_at: string;
  finished_at: string | null;
}

export interface GameMode {
  name: string;
  title: string;
  description: string;
  min_players: number;
  max_players: number;
  /** 0: turn-based; else updates per second. */
  tick_rate: number;
  [more: string]: unknown;
}

export interface RunningRoom {
  id: Id;
  mode: string;
  phase: GamePhase;
  players: { id: Id; username: string }[];
  spectators: number;
  label: Record<string, unknown>;
  open: boolean;
  started_at: string;
}

export interface LeaderboardRow {
  rank: number;
  user: PublicUser;
  rating: number;
  wins: number;
  losses: number;
  draws: number;
}

/** Which running games `games.rooms` lists: one mode's, the open ones (a player may still join), with these label values. */
export interface RoomFilter {
  mode?: string;
  /** true: games a player may still join; false: the others. */
  open?: boolean;
  /** The mode's public label must have these values (`label.KEY=VALUE`): a string as it is, a number or boolean as JSON. */
  label?: Record<string, string | number | boolean>;
}

export interface ReplayPlayer {
  id: Id;
  username: string;
  seat: number;
  side: string;
}

export interface ReplayInput {
  /** Game time in seconds. */
  t: number;
  /** The tick the input landed in (turn-based: its clock's steps). */
  tick: number;
  player: Id;
  /** `connect`, `disconnect`, `ready`, `move`, `action`, `input`, `forfeit`, `join`. */
  type: string;
  data: unknown;
}

/** A finished game's replay (`GET /api/games/{id}/replay/`), played again on the server. */
export interface Replay {
  game_id: Id;
  mode: string;
  /** The version of the mode's code it was played with. */
  mode_version: string;
  seed: number;
  players: ReplayPlayer[];
  inputs: ReplayInput[];
  /** Every step the room took, to play it again exactly offline. */
  steps: unknown[];
  grace: Record<string, number>;
  result: { winner_id: Id | null; reason: string | null; scores: Record<string, number> };
}

/** What a spectator saw at one tick of a replay (a turn-based game: at one change, counted from 0). */
export interface ReplayFrame<View = unknown> {
  tick: number;
  view: View;
}

/** The ticks of a replay to fetch: `from` (default 0) to `to` (default: the end), both included. */
export interface FrameRange {
  from?: number;
  to?: number;
}

// --- notifications -------------------------------------------------------------------------

export interface PersistedNotification {
  id: Id;
  kind: string;
  payload: Record<string, unknown>;
  created_at: string;
  read?: boolean;
}

// --- player safety -------------------------------------------------------------------------

export type ReportReason = "cheating" | "harassment" | "hate" | "spam" | "inappropriate_name" | "other";

/** Where it happened (one at most): a lobby, a game, a group, or my DMs with a player. */
export interface ReportContext {
  lobbyId?: Id;
  gameId?: Id;
  groupId?: Id;
  dmUserId?: Id;
}

export interface ReportRequest {
  userId: Id;
  reason: ReportReason;
  /** At most 1,000 characters. */
  comment?: string;
  context?: ReportContext;
}

export interface ReportFiled {
  id: Id;
  status: "open";
}

export interface Report {
  id: Id;
  user: { id: Id; username: string };
  reason: ReportReason;
  status: "open" | "actioned" | "dismissed";
  created_at: string;
}

export type SanctionAction = "warn" | "mute" | "suspend" | "ban";

export interface Sanction {
  id: Id;
  action: SanctionAction;
  /** Why, in the staff's words. */
  statement: string;
  starts_at: string;
  /** null: no end (a ban; a warning has none either). */
  ends_at: string | null;
  active: boolean;
  /** When staff lifted it or an appeal reversed it; null while it was not. */
  lifted_at: string | null;
  /** Why it was lifted, in the staff's words ("" while it was not). */
  lift_statement: string;
  /** The statement of reasons (EU DSA Art. 17): the key of the rule broken in the studio's rules list. */
  rule: string;
  /** The rule broken, in words. */
  ground: string;
  /** What it concerns: my own content quoted, or what was seen. */
  facts: string;
  /** Whether automated means decided it. */
  automated: boolean;
  /** The end of its appeal window. */
  appeal_until: string;
  appeal: { status: "open" | "upheld" | "reversed"; text: string; statement: string; decided_at: string | null } | null;
}

/** The payload of a `sanction` notification: a sanction imposed, lifted by staff, or my appeal of one decided. */
export interface SanctionNotice {
  event: "imposed" | "lifted" | "appeal_decided";
  sanction: Sanction;
}

// --- live operations -----------------------------------------------------------------------

/** A live event running now for me (a recurring one's current occurrence). */
export interface LiveEvent {
  id: Id;
  name: string;
  description: string;
  value: unknown;
  starts_at: string;
  ends_at: string;
  /** `explicit`: I take part after `joinLiveEvent(id)`; `auto`: everyone it targets does. */
  join: "auto" | "explicit";
  joined: boolean;
}

/** `GET /api/liveops/`: what I see now (anonymous: every flag's default). */
export interface LiveOpsAnswer {
  /** `{name: value}`: every flag's value for me. */
  flags: Record<string, unknown>;
  /** `{key: variation}`: the experiments I am in, by variation index. */
  experiments: Record<string, number>;
  /** `{key: name}`: of those experiments whose variations are strings, my variation's value. */
  variation_names?: Record<string, string>;
  live_events: LiveEvent[];
  messages_unread: number;
}

/** What my client says about itself (read by the flags' rules); `custom` at most 2 KiB as JSON. */
export interface LiveOpsAttributes {
  country?: string;
  platform?: string;
  appVersion?: string;
  custom?: Record<string, unknown>;
}

/** A message of my liveops inbox (`GET /api/liveops/messages/`). */
export interface InboxMessage {
  id: Id;
  title: string;
  body: string;
  data: unknown;
  created_at: string;
  read_at: string | null;
  /** Gifts to claim (`LiveOps.claim`), null for none. */
  grants: InboxGrants | null;
  /** Its gifts cannot be claimed from then on (null: never). */
  expires_at: string | null;
  claimed_at: string | null;
}

/** What an inbox message gives (`grants`). */
export interface InboxGrants {
  gold: number;
  gems: number;
  items: { item_id: Id; quantity: number }[];
}

/** The answer of a claim: what was granted and my balances after it. */
export interface InboxClaim {
  grants: InboxGrants;
  gold: number;
  gems: number;
}

/** An analytics event as it travels (`POST /api/liveops/events/`). */
export interface TrackedEvent {
  /** The client's id (a resend counts once). */
  id: string;
  name: string;
  timestamp: string;
  value: number | null;
  metadata: Record<string, unknown>;
}
