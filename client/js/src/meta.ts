/**
 * Typed calls for the meta-game routes: lobbies and their chat, direct messages, friends,
 * groups, leaderboards, tournaments, per-user storage and payments. Each is one route of the contract;
 * `client.get/post/...` reach any other.
 */
import type { Client, Query } from "./client.js";
import type { Frame } from "./frames.js";
import type { Socket, SocketOptions } from "./socket.js";
import type { Id, Page, PublicUser } from "./types.js";

// --- shapes ---------------------------------------------------------------------------------

export interface Lobby {
  id: Id;
  name: string;
  owner: PublicUser;
  is_public: boolean;
  max_participants: number;
  status: string;
  participant_count: number;
  created_at: string;
  members?: { user: PublicUser; role: "owner" | "moderator" | "member" }[];
}

export interface ChatMessage {
  id: Id;
  content: string;
  sender: PublicUser;
  created_at: string;
}

export interface DirectMessage {
  id: Id;
  sender_id: Id;
  recipient_id: Id;
  content: string;
  created_at: string;
}

export interface Conversation {
  user: PublicUser;
  last_message: DirectMessage | null;
  unread_count: number;
}

export interface Friend {
  user: PublicUser;
  online: boolean;
  since: string;
}

export interface FriendRequest {
  id: Id;
  from_user: PublicUser;
  to_user: PublicUser;
  created_at: string;
  [more: string]: unknown;
}

export interface Group {
  id: Id;
  name: string;
  description: string;
  open: boolean;
  max_members: number;
  member_count: number;
  created_at: string;
  role?: "superadmin" | "admin" | "member";
}

export interface GroupMember {
  user: PublicUser;
  role: "superadmin" | "admin" | "member";
  joined_at: string;
}

export interface LeaderboardRecord {
  rank: number;
  user: PublicUser;
  score: number;
  metadata: Record<string, unknown>;
  updated_at: string;
}

export interface Leaderboard {
  id: string;
  sort: "desc" | "asc";
  operator: "best" | "set" | "incr";
  reset: string | null;
  authoritative?: boolean;
  [more: string]: unknown;
}

export interface Tournament {
  id: string;
  start: string;
  end: string;
  status?: string;
  joined?: boolean;
  entry_fee?: number;
  max_entries?: number | null;
  [more: string]: unknown;
}

export interface StoredObject<Value = unknown> {
  collection: string;
  key: string;
  value: Value;
  version: string | number;
  read: "owner" | "public";
  updated_at: string;
}

/** A list answer: a page of the contract's pagination, or (older routes) a bare array. */
export type Listing<T> = Page<T> | T[];

/** Which page of a numbered list: `page` from 1, `pageSize` up to the server's 200. */
export interface PageQuery {
  page?: number;
  pageSize?: number;
}

/** The server's largest `page_size`: the calls that read every page read them 200 at a time. */
const MAX_PAGE_SIZE = 200;

// --- calls ------------------------------------------------------------------------------------

const slug = encodeURIComponent;

export function lobbyCalls(client: Client) {
  return {
    list: (query: { public?: boolean; status?: string; search?: string } = {}): Promise<Page<Lobby>> =>
      client.get("/api/lobbies/", {
        public: query.public === undefined ? undefined : Number(query.public),
        status: query.status,
        search: query.search,
      }),
    /** Premium users only (403 `premium_required`); `max_participants` 2-64. */
    create: (fields: { name: string; is_public?: boolean; max_participants?: number }): Promise<Lobby> =>
      client.post("/api/lobbies/", fields),
    get: (id: Id): Promise<Lobby> => client.get(`/api/lobbies/${id}/`),
    /** 409 `lobby_full` / `lobby_closed`; 403 `banned` / `private_lobby`. */
    join: (id: Id): Promise<unknown> => client.post(`/api/lobbies/${id}/join/`),
    leave: (id: Id): Promise<unknown> => client.post(`/api/lobbies/${id}/leave/`),
    start: (id: Id, mode?: string): Promise<{ status: "in_game"; game_id: Id }> =>
      client.post(`/api/lobbies/${id}/start/`, mode ? { mode } : {}),
    kick: (id: Id, userId: Id, reason = ""): Promise<unknown> =>
      client.post(`/api/lobbies/${id}/kick/`, { user_id: userId, reason }),
    ban: (id: Id, userId: Id, reason = ""): Promise<unknown> =>
      client.post(`/api/lobbies/${id}/ban/`, { user_id: userId, reason }),
    unban: (id: Id, userId: Id): Promise<unknown> => client.post(`/api/lobbies/${id}/unban/`, { user_id: userId }),
    messages: (id: Id, query: Query = {}): Promise<Page<ChatMessage>> => client.get(`/api/lobbies/${id}/messages/`, query),
    /** Members only; at most 3 messages in 2 s (429 `rate_limited`). */
    post: (id: Id, content: string): Promise<ChatMessage> => client.post(`/api/lobbies/${id}/messages/`, { content }),
    /** The lobby's chat socket (members only: 4403): `lobby_state`, `chat_message`, presence, typing. */
    socket: (id: Id, options: SocketOptions = {}): Socket<Record<string, Frame>> =>
      client.socket(`/ws/lobbies/${id}/`, options),
  };
}

export function dmCalls(client: Client) {
  return {
    conversations: (): Promise<Listing<Conversation>> => client.get("/api/dm/"),
    /** Friends only (403 `not_friends` / `blocked`). */
    messages: (userId: Id, query: Query = {}): Promise<Page<DirectMessage>> =>
      client.get(`/api/dm/${userId}/messages/`, query),
    send: (userId: Id, content: string): Promise<DirectMessage> =>
      client.post(`/api/dm/${userId}/messages/`, { content }),
    markRead: (userId: Id): Promise<unknown> => client.post(`/api/dm/${userId}/read/`),
    /** The socket with one friend: `dm_message` both ways. */
    socket: (userId: Id, options: SocketOptions = {}): Socket<Record<string, Frame>> =>
      client.socket(`/ws/dm/${userId}/`, options),
  };
}

export function friendCalls(client: Client) {
  return {
    list: (): Promise<Listing<Friend>> => client.get("/api/friends/"),
    /** A request to someone who already asked me accepts theirs; 409 duplicate, 403 `blocked`. */
    request: (userId: Id): Promise<FriendRequest> => client.post("/api/friends/requests/", { user_id: userId }),
    requests: (direction: "incoming" | "outgoing" = "incoming"): Promise<Listing<FriendRequest>> =>
      client.get("/api/friends/requests/", { direction }),
    accept: (requestId: Id): Promise<unknown> => client.post(`/api/friends/requests/${requestId}/accept/`),
    decline: (requestId: Id): Promise<unknown> => client.post(`/api/friends/requests/${requestId}/decline/`),
    cancel: (requestId: Id): Promise<unknown> => client.delete(`/api/friends/requests/${requestId}/`),
    remove: (userId: Id): Promise<unknown> => client.delete(`/api/friends/${userId}/`),
    block: (userId: Id): Promise<unknown> => client.post("/api/friends/blocks/", { user_id: userId }),
    unblock: (userId: Id): Promise<unknown> => client.delete(`/api/friends/blocks/${userId}/`),
    /** `presence_snapshot` on connect, then `presence {user_id, status}`. */
    presenceSocket: (options: SocketOptions = {}): Socket<Record<string, Frame>> =>
      client.socket("/ws/friends/status/", options),
  };
}

export function groupCalls(client: Client) {
  return {
    list: (search = ""): Promise<Page<Group>> => client.get("/api/groups/", search ? { search } : {}),
    /** A page of the groups I am in, each with my `role`, the oldest membership first. */
    mine: ({ page, pageSize }: PageQuery = {}): Promise<Page<Group>> =>
      client.get("/api/groups/mine/", { page, page_size: pageSize }),
    /** Every group I am in (all the pages). */
    mineAll: (): Promise<Group[]> => client.all("/api/groups/mine/", { page_size: MAX_PAGE_SIZE }),
    /** I become its `superadmin`. */
    create: (fields: { name: string; description?: string; open?: boolean; max_members?: number }): Promise<Group> =>
      client.post("/api/groups/", fields),
    get: (id: Id): Promise<Group> => client.get(`/api/groups/${id}/`),
    /** An open group at once, a closed one by request; 409 `group_full`. */
    join: (id: Id): Promise<{ status: "member" | "requested"; group?: Group }> => client.post(`/api/groups/${id}/join/`),
    leave: (id: Id): Promise<unknown> => client.post(`/api/groups/${id}/leave/`),
    members: (id: Id): Promise<Listing<GroupMember>> => client.get(`/api/groups/${id}/members/`),
    requests: (id: Id): Promise<Listing<{ user: PublicUser; created_at: string }>> =>
      client.get(`/api/groups/${id}/requests/`),
    acceptRequest: (id: Id, userId: Id): Promise<unknown> => client.post(`/api/groups/${id}/requests/${userId}/accept/`),
    declineRequest: (id: Id, userId: Id): Promise<unknown> =>
      client.post(`/api/groups/${id}/requests/${userId}/decline/`),
    /** A higher role on a lower one (403 otherwise). */
    act: (id: Id, action: "promote" | "demote" | "kick" | "ban", userId: Id): Promise<unknown> =>
      client.post(`/api/groups/${id}/${action}/`, { user_id: userId }),
    messages: (id: Id, query: Query = {}): Promise<Page<ChatMessage>> => client.get(`/api/groups/${id}/messages/`, query),
    post: (id: Id, content: string): Promise<ChatMessage> => client.post(`/api/groups/${id}/messages/`, { content }),
    /** The group's chat socket (members only: 4403). */
    socket: (id: Id, options: SocketOptions = {}): Socket<Record<string, Frame>> =>
      client.socket(`/ws/groups/${id}/`, options),
  };
}

export function leaderboardCalls(client: Client) {
  return {
    /** A page of the boards that are not a tournament's, by id. */
    list: ({ page, pageSize }: PageQuery = {}): Promise<Page<Leaderboard>> =>
      client.get("/api/leaderboards/", { page, page_size: pageSize }),
    /** Every such board (all the pages). */
    listAll: (): Promise<Leaderboard[]> => client.all("/api/leaderboards/", { page_size: MAX_PAGE_SIZE }),
    get: (id: string): Promise<Leaderboard> => client.get(`/api/leaderboards/${slug(id)}/`),
    /** Admins only. */
    create: (fields: Leaderboard): Promise<Leaderboard> => client.post("/api/leaderboards/", fields),
    /** My record after the board's operator (403 on an `authoritative` board). */
    write: (id: string, score: number, metadata: Record<string, unknown> = {}): Promise<LeaderboardRecord> =>
      client.post(`/api/leaderboards/${slug(id)}/records/`, { score, metadata }),
    /** The top, or the rows around mine; `period: "previous"` reads the last reset's archive. */
    records: (
      id: string,
      { aroundMe = false, limit, period }: { aroundMe?: boolean; limit?: number; period?: "previous" } = {},
    ): Promise<Listing<LeaderboardRecord>> =>
      client.get(`/api/leaderboards/${slug(id)}/records/`, { around_me: aroundMe ? 1 : undefined, limit, period }),
  };
}

export interface Product {
  id: string;
  name: string;
  kind: "premium" | "gems" | "item" | "subscription";
  /** In the currency's minor unit: 499 is 4.99 (a subscription's: each period). */
  price: number;
  currency: string;
  grants: { premium_days?: number; gems?: number; item?: { id: Id; name: string }; quantity?: number };
  /** A subscription's period, ISO 8601 (`P1M`: a month). */
  period?: string;
  /** What a subscription holds while it runs (`premium`). */
  entitlement?: string;
}

export interface Subscription {
  id: Id;
  product: Product;
  store: "stripe" | "apple" | "google";
  /** `active` and `grace` hold the entitlement. */
  status: "active" | "grace" | "past_due" | "cancelled" | "expired" | "refunded";
  current_period_end: string;
  will_renew: boolean;
}

export interface StorePurchase {
  id: Id;
  product: Product;
  store: "stripe" | "apple" | "google";
  status: "granted" | "refunded";
  created_at: string;
  refunded_at: string | null;
}

export interface Checkout {
  /** Stripe's hosted Checkout page: send the buyer there. */
  url: string;
  session_id: string;
}

export function paymentCalls(client: Client) {
  return {
    /** What can be bought with money (404 `not_configured` when no store is). */
    products: (): Promise<Product[]> => client.all("/api/payments/products/", { page_size: MAX_PAGE_SIZE }),
    /** A Stripe Checkout session for one product; granted only once Stripe's webhook says it was paid. */
    checkout: (productId: string): Promise<Checkout> => client.post("/api/payments/checkout/", { product_id: productId }),
    /** My purchases, newest first, refunded ones included. */
    purchases: (): Promise<StorePurchase[]> => client.all("/api/payments/purchases/", { page_size: MAX_PAGE_SIZE }),
    /** My subscriptions in every store, newest first. */
    subscriptions: (): Promise<Subscription[]> =>
      client.all("/api/payments/subscriptions/", { page_size: MAX_PAGE_SIZE }),
    /** Stop a Stripe subscription renewing (it runs to its period's end); 409 `cancel_in_store` for the stores' own. */
    cancelSubscription: (id: Id): Promise<Subscription> => client.post(`/api/payments/subscriptions/${id}/cancel/`),
    /** Stripe's customer portal (card, invoices, cancel): send the player to `url`. */
    portal: (): Promise<{ url: string }> => client.post("/api/payments/portal/"),
  };
}

export function tournamentCalls(client: Client) {
  return {
    /** A page of the tournaments, the latest to start first. */
    list: ({ page, pageSize }: PageQuery = {}): Promise<Page<Tournament>> =>
      client.get("/api/tournaments/", { page, page_size: pageSize }),
    /** Every tournament (all the pages). */
    listAll: (): Promise<Tournament[]> => client.all("/api/tournaments/", { page_size: MAX_PAGE_SIZE }),
    get: (id: string): Promise<Tournament> => client.get(`/api/tournaments/${slug(id)}/`),
    /** Admins only. */
    create: (fields: Tournament): Promise<Tournament> => client.post("/api/tournaments/", fields),
    /** Pays the entry fee once (402 `insufficient_funds`). */
    join: (id: string): Promise<unknown> => client.post(`/api/tournaments/${slug(id)}/join/`),
  };
}

export function storageCalls(client: Client) {
  const path = (collection: string, key: string): string => `/api/storage/${slug(collection)}/${slug(key)}/`;
  return {
    /** An object of mine, or `userId`'s public one. */
    get: <Value = unknown>(collection: string, key: string, { userId }: { userId?: Id } = {}): Promise<StoredObject<Value>> =>
      client.get(path(collection, key), { user_id: userId }),
    /**
     * Writes an object whole. `version`: only if it is still at that version, `createOnly`: only
     * if it does not exist (else 412 `version_conflict`).
     */
    put: <Value = unknown>(
      collection: string,
      key: string,
      value: Value,
      { read = "owner", version, createOnly = false }: { read?: "owner" | "public"; version?: string | number; createOnly?: boolean } = {},
    ): Promise<StoredObject<Value>> => {
      const headers: Record<string, string> = {};
      if (version !== undefined) headers["If-Match"] = `"${version}"`;
      if (createOnly) headers["If-None-Match"] = "*";
      return client.put(path(collection, key), { value, read }, { headers });
    },
    delete: (collection: string, key: string, { version }: { version?: string | number } = {}): Promise<unknown> =>
      client.delete(path(collection, key), version === undefined ? {} : { headers: { "If-Match": `"${version}"` } }),
    /** My objects in a collection, or `userId`'s public ones. */
    list: (collection: string, { userId }: { userId?: Id } = {}): Promise<Listing<StoredObject>> =>
      client.get(`/api/storage/${slug(collection)}/`, { user_id: userId }),
  };
}

/** The items of a list answer, whichever shape it has (a page's `results`, or a bare array). */
export function items<T>(listing: Listing<T>): T[] {
  return Array.isArray(listing) ? listing : listing.results;
}
