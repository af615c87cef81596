import { ENCODINGS, type Encoding } from "./encoding.js";
import { errorFromResponse, GamePlatformError } from "./errors.js";
import type { Frame } from "./frames.js";
import { backoffDelay, DEFAULT_RECONNECT, DEFAULT_RETRY, IDEMPOTENT_METHODS, sleep, type RetryPolicy } from "./retry.js";
import {
  DEFAULT_STORAGE_KEY,
  defaultStorage,
  readTokens,
  refreshDueAt,
  tokenUserId,
  writeTokens,
  type SessionStorage,
  type Tokens,
} from "./session.js";
import {
  dmCalls,
  friendCalls,
  groupCalls,
  leaderboardCalls,
  lobbyCalls,
  paymentCalls,
  storageCalls,
  tournamentCalls,
} from "./meta.js";
import { LiveOps, type LiveOpsOptions } from "./liveops.js";
import { Notifications } from "./notifications.js";
import { checkedTimeout, DEFAULT_REQUEST_TIMEOUT_MS, GameRoom, type GameRoomOptions } from "./room.js";
import { Socket, type SocketOptions } from "./socket.js";
import type {
  Age,
  AgeInput,
  DeviceLoginAnswer,
  GameMode,
  GameSummary,
  Id,
  Invite,
  InviteAccepted,
  InviteRequest,
  LeaderboardRow,
  Me,
  Page,
  PersistedNotification,
  PublicUser,
  QueueAnswer,
  QueueStatus,
  RegisterAnswer,
  Registration,
  Report,
  ReportContext,
  ReportFiled,
  ReportRequest,
  Sanction,
  FrameRange,
  Replay,
  ReplayFrame,
  RoomFilter,
  RunningRoom,
  ServerStatus,
  TokenPair,
  WsTicket,
} from "./types.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";
export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  /** Send the access token (default true when logged in). */
  auth?: boolean;
  /** Retry a failed idempotent call (default: the client's policy; false: never). */
  retry?: boolean;
  signal?: AbortSignal;
  /** Sees each answer's response before its body is read (its headers: an `ETag`...). */
  onResponse?: (response: Response) => void;
}

/**
 * Anything that builds a WebSocket the way browsers do: `new WebSocket(url)`, and
 * `new WebSocket(url, protocols)` for a socket whose `encoding` is `"msgpack"` or `"compact"`.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The part of the browser's WebSocket the SDK uses (the `ws` package's WebSocket has it too). */
export interface WebSocketLike {
  readonly readyState: number;
  /** The subprotocol the server agreed to ("" for none); read on open by `msgpack` and `compact` sockets. */
  readonly protocol?: string;
  /** Set to `"arraybuffer"` by `msgpack` and `compact` sockets, so that binary messages arrive as `ArrayBuffer`s. */
  binaryType?: string;
  onopen: ((event: any) => void) | null;
  // Handlers take `any`: each runtime's event types differ (the SDK reads `data`, `code`, `reason`).
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  /** Text for JSON frames; bytes (a `Uint8Array`) for MessagePack ones. */
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface ClientOptions {
  /** The server, e.g. `https://games.example`; in a page, its own origin by default. */
  baseUrl?: string;
  /** Where the session is kept: `localStorage` in browsers, memory elsewhere by default. */
  storage?: SessionStorage;
  /** The storage key (default `gameplatform.auth`, the browser SDK's, so a page keeps its session). */
  storageKey?: string;
  /** The fetch to use (default the global one: browsers, Node 18+). */
  fetch?: typeof fetch;
  /** The WebSocket constructor (default the global one; in Node 20: `WebSocket` from the `ws` package). */
  WebSocket?: WebSocketConstructor;
  /**
   * How the sockets' frames travel (default `"json"`): `"msgpack"` offers the `gameplatform.msgpack`
   * subprotocol and sends and receives binary MessagePack frames, the same objects in fewer bytes;
   * `"compact"` offers `gameplatform.compact`, whose frames from the server are smaller still
   * (short decimals as small integers, state patches as arrays of relative paths), decoded into
   * the same objects. A socket's own `encoding` option overrides it.
   */
  encoding?: Encoding;
  /** Retries of idempotent REST calls (GET, PUT, DELETE) after a network failure or a 5xx; false: none. */
  retry?: Partial<RetryPolicy> | false;
  /** How sockets come back after a drop. */
  reconnect?: Partial<RetryPolicy>;
  /**
   * How long a game room's move, action, ready or forfeit waits for its answer, resends included,
   * in milliseconds (default 10 000); past it the call fails with a `GamePlatformError` `timeout`.
   * A room's own `requestTimeoutMs`, and a call's `timeoutMs`, override it.
   */
  requestTimeoutMs?: number;
  /** Refresh the access token this many seconds before it expires (a quarter of a short token's life at most). */
  refreshMarginS?: number;
  /** The clock, in milliseconds since the epoch (tests move it to make a token look expired). */
  clock?: () => number;
  /**
   * What this client says about itself after each sign-in (`PUT /api/liveops/attributes/`), for
   * the flags' rules, experiments and live events: `platform` (default `"web"` in a browser,
   * `"node"` elsewhere), `appVersion`, and `custom.locale` and `custom.timezone` (default the
   * runtime's: `navigator.language` or `Intl`'s locale, and `Intl`'s time zone). `false` sends
   * nothing. A failure to send does not fail the sign-in. A game with custom attributes of its own
   * sends them with `liveops().setAttributes` after the sign-in.
   */
  clientAttributes?: ClientAttributes | false;
}

export interface ClientAttributes {
  platform?: string;
  appVersion?: string;
  locale?: string;
  timezone?: string;
}

/** The attributes a client sends at sign-in: the runtime's own, then what the game gave. */
function attributesAtSignIn(given: ClientAttributes): Record<string, unknown> {
  const intl = Intl.DateTimeFormat().resolvedOptions();
  const browser = typeof (globalThis as { document?: unknown }).document !== "undefined";
  const language = (globalThis as { navigator?: { language?: string } }).navigator?.language;
  const body: Record<string, unknown> = {
    platform: given.platform ?? (browser ? "web" : "node"),
    custom: { locale: given.locale ?? language ?? intl.locale ?? "", timezone: given.timezone ?? intl.timeZone ?? "" },
  };
  if (given.appVersion) body.app_version = given.appVersion;
  return body;
}

type SessionListener = (loggedIn: boolean) => void;

export class Client {
  readonly baseUrl: string;
  readonly retryPolicy: RetryPolicy | null;
  readonly reconnectPolicy: RetryPolicy;
  /** How long a game room's call waits for its answer (`requestTimeoutMs`), in milliseconds. */
  readonly requestTimeoutMs: number;
  readonly WebSocket: WebSocketConstructor | null;
  /** The sockets' encoding unless a socket asks for its own. */
  readonly encoding: Encoding;
  clock: () => number;

  private readonly sessionStore: SessionStorage;
  private readonly storageKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly refreshMarginS: number;
  private tokensNow: Tokens | null;
  private refreshing: Promise<Tokens> | null = null;
  private readonly sessionListeners = new Set<SessionListener>();
  private notificationsNow: Notifications | null = null;
  private liveopsNow: LiveOps | null = null;
  private readonly sockets = new Set<Socket<any>>();
  /** Game rooms `findMatch` opened to see every player come, until `gameRoom(id)` takes them. */
  private readonly heldRooms = new Map<Id, GameRoom<any>>();
  private readonly clientAttributes: ClientAttributes | false;

  constructor(options: ClientOptions = {}) {
    const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
    const baseUrl = options.baseUrl ?? origin;
    if (!baseUrl) throw new TypeError("new Client({ baseUrl }): no page origin to default to");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.sessionStore = options.storage ?? defaultStorage();
    this.storageKey = options.storageKey ?? DEFAULT_STORAGE_KEY;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl) throw new TypeError("new Client(): no global fetch; pass { fetch }");
    this.fetchImpl = fetchImpl.bind(globalThis);
    const globalWs = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.WebSocket = options.WebSocket ?? globalWs ?? null;
    this.encoding = options.encoding ?? "json";
    if (!ENCODINGS.includes(this.encoding)) {
      throw new TypeError(`new Client({ encoding }): "json", "msgpack" or "compact", not ${JSON.stringify(this.encoding)}`);
    }
    this.retryPolicy = options.retry === false ? null : { ...DEFAULT_RETRY, ...options.retry };
    this.reconnectPolicy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.requestTimeoutMs = checkedTimeout(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, "new Client({ requestTimeoutMs })");
    this.refreshMarginS = options.refreshMarginS ?? 60;
    this.clock = options.clock ?? Date.now;
    this.tokensNow = readTokens(this.sessionStore, this.storageKey);
    this.clientAttributes = options.clientAttributes ?? {};
  }

  // --- the session ---------------------------------------------------------------------

  /** True while there is a session (restored from storage, or after a login). */
  get loggedIn(): boolean {
    return this.tokensNow !== null;
  }

  /** The session's tokens, or null. */
  get tokens(): Tokens | null {
    return this.tokensNow;
  }

  /** My user id (from the access token), or null when logged out. */
  get userId(): Id | null {
    return this.tokensNow ? tokenUserId(this.tokensNow.access) : null;
  }

  /** `fn(loggedIn)` when the session starts or ends (a refresh that fails ends it); returns an unsubscribe. */
  onSessionChange(fn: SessionListener): () => void {
    this.sessionListeners.add(fn);
    return () => this.sessionListeners.delete(fn);
  }

  /** Adopt tokens obtained elsewhere (another client, a provider's sign-in); null logs out locally. */
  useTokens(tokens: TokenPair | null): void {
    const was = this.loggedIn;
    this.tokensNow = tokens ? { access: tokens.access, refresh: tokens.refresh } : null;
    writeTokens(this.sessionStore, this.storageKey, this.tokensNow);
    if (was !== this.loggedIn) for (const fn of this.sessionListeners) fn(this.loggedIn);
  }

  async register(fields: Registration): Promise<RegisterAnswer> {
    const body = { ...fields, password_confirm: fields.password_confirm ?? fields.password };
    const answer = await this.request<RegisterAnswer>("POST", "/api/auth/register/", { body, auth: false });
    this.useTokens(answer);
    await this.sayWhoIAm();
    return answer;
  }

  /** `username` may be an email address too. */
  async login(username: string, password: string): Promise<TokenPair> {
    const answer = await this.request<TokenPair>("POST", "/api/auth/login/", {
      body: { username, password },
      auth: false,
    });
    this.useTokens(answer);
    await this.sayWhoIAm();
    return answer;
  }

  /** The guest account of a device id (16-128 characters the app keeps), made on first use. */
  async deviceLogin(deviceId: string): Promise<DeviceLoginAnswer> {
    const answer = await this.request<DeviceLoginAnswer>("POST", "/api/auth/device/", {
      body: { device_id: deviceId },
      auth: false,
    });
    this.useTokens(answer);
    await this.sayWhoIAm();
    return answer;
  }

  /** After a sign-in: what this client is (`clientAttributes`), for the flags' rules; never fails it. */
  private async sayWhoIAm(): Promise<void> {
    if (this.clientAttributes === false) return;
    try {
      const body = attributesAtSignIn(this.clientAttributes);
      await this.request("PUT", "/api/liveops/attributes/", { body, retry: false });
    } catch {
      // The sign-in holds: a server without live operations, or a moment's failure, changes nothing.
    }
  }

  /** This guest becomes a full account (same id, everything it owns kept). */
  linkAccount(fields: { username: string; email: string; password: string }): Promise<{ user: Me }> {
    return this.post("/api/auth/link/", fields);
  }

  /** Ends the session here and on the server (its refresh token dies), whatever the server answers. */
  async logout(): Promise<void> {
    const refresh = this.tokensNow?.refresh;
    try {
      if (refresh) await this.request("POST", "/api/auth/logout/", { body: { refresh }, retry: false });
    } catch {
      // Logged out on this side all the same.
    } finally {
      this.useTokens(null);
    }
  }

  /**
   * Rotates the tokens now (`POST /api/auth/refresh/`); concurrent callers share one request, since
   * the old refresh token dies with the first. A refused refresh ends the session.
   */
  refresh(): Promise<Tokens> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<Tokens> {
    // Another client on the same storage (a browser's other tab) may have rotated the tokens
    // already: the refresh token this one holds is dead then, and the stored pair is the live one.
    const adopted = this.adoptStored();
    if (adopted && !this.due(adopted.access)) return adopted;
    const refresh = this.tokensNow?.refresh;
    if (!refresh) throw notLoggedIn();
    try {
      const tokens = await this.request<TokenPair>("POST", "/api/auth/refresh/", { body: { refresh }, auth: false });
      this.useTokens(tokens);
      return this.tokensNow!;
    } catch (error) {
      const rotatedMeanwhile = this.adoptStored();
      if (rotatedMeanwhile) return rotatedMeanwhile;
      if (error instanceof GamePlatformError && (error.status === 401 || error.status === 400)) this.useTokens(null);
      throw error;
    }
  }

  /** The stored pair, taken when it differs from the one held (another client rotated it); else null. */
  private adoptStored(): Tokens | null {
    const stored = readTokens(this.sessionStore, this.storageKey);
    if (!stored || !this.tokensNow || stored.refresh === this.tokensNow.refresh) return null;
    this.tokensNow = stored;
    return stored;
  }

  private due(access: string): boolean {
    const at = refreshDueAt(access, this.refreshMarginS);
    return at !== null && this.clock() >= at;
  }

  /** An access token that is not about to expire (refreshed first when it is). */
  async accessToken(): Promise<string> {
    if (!this.tokensNow) throw notLoggedIn();
    if (this.due(this.tokensNow.access)) await this.refresh();
    return this.tokensNow!.access;
  }

  // --- REST --------------------------------------------------------------------------

  /**
   * One REST call: JSON in and out, the answer's body (null for 204/205), or a `GamePlatformError`.
   * With a session the access token goes along (refreshed first when due; a 401 refreshes once and
   * tries again). Idempotent calls (GET, PUT, DELETE) that meet a network failure or a 5xx are
   * retried with exponential backoff and jitter, waiting at least the server's `Retry-After`.
   */
  async request<T = unknown>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const policy = options.retry === false ? null : this.retryPolicy;
    const retries = policy && IDEMPOTENT_METHODS.has(method) ? policy.retries : 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.requestOnce<T>(method, path, options, true);
      } catch (error) {
        if (attempt >= retries || !retryable(error)) throw error;
        const wait = backoffDelay(attempt, policy!);
        const after = error instanceof GamePlatformError && error.retryAfter ? error.retryAfter * 1000 : 0;
        await sleep(Math.max(wait, Math.min(after, policy!.maxMs)));
      }
    }
  }

  private async requestOnce<T>(method: HttpMethod, path: string, options: RequestOptions, mayRefresh: boolean): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    const init: RequestInit = { method, headers };
    if (options.signal) init.signal = options.signal;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const withAuth = (options.auth ?? true) && this.tokensNow !== null;
    if (withAuth) headers.Authorization = `Bearer ${await this.accessToken()}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const detail = `Network error: ${error instanceof Error ? error.message : String(error)}`;
      throw new GamePlatformError({ status: 0, code: "network_error", detail });
    }
    if (response.status === 401 && withAuth && mayRefresh) {
      await this.refresh();
      return this.requestOnce<T>(method, path, options, false);
    }
    options.onResponse?.(response);
    if (response.status === 304) return null as T; // asked with If-None-Match: what the caller holds is current
    if (!response.ok) throw await errorFromResponse(response);
    if (response.status === 204 || response.status === 205) return null as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : null) as T;
  }

  /**
   * An absolute URL for a path of the server (appended to `baseUrl`, which may hold a path prefix
   * of its own), or a full URL (a page's `next`), with a query.
   */
  url(path: string, query?: Query): string {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path);
    const url = new URL(absolute ? path : this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== null && value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  get<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, query ? { query } : {});
  }

  post<T = unknown>(path: string, body: unknown = {}, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("POST", path, { ...options, body });
  }

  put<T = unknown>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("PUT", path, { ...options, body });
  }

  patch<T = unknown>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("PATCH", path, { ...options, body });
  }

  delete<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("DELETE", path, options);
  }

  /**
   * Every item of a paginated list, following `next` for at most `maxPages` pages; `auth: false`
   * sends no access token (a list that needs no session).
   */
  async all<T>(
    path: string,
    query?: Query,
    { maxPages = 20, auth }: { maxPages?: number; auth?: boolean } = {},
  ): Promise<T[]> {
    const options: RequestOptions = auth === undefined ? {} : { auth };
    const items: T[] = [];
    let page = await this.request<Page<T> | T[]>("GET", path, query ? { ...options, query } : options);
    for (let n = 1; ; n += 1) {
      if (Array.isArray(page)) return items.concat(page);
      items.push(...page.results);
      if (!page.next || n >= maxPages) return items;
      page = await this.request<Page<T>>("GET", page.next, options);
    }
  }

  // --- accounts ------------------------------------------------------------------------

  /** `GET /api/status/`: the server's health and version (no session needed). */
  status(): Promise<ServerStatus> {
    return this.request("GET", "/api/status/", { auth: false });
  }

  me(): Promise<Me> {
    return this.get("/api/me/");
  }

  updateMe(fields: { display_name?: string; email?: string }): Promise<Me> {
    return this.patch("/api/me/", fields);
  }

  /**
   * `PUT /api/me/age/`: my age, as a birth date I declare (`{ birth_date: "2012-05-01" }`) or as the
   * band a store gave the app (`{ band: "13_15", source: "apple" }` from Declared Age Range, with
   * `app_transaction`: AppTransaction's JWS; `source: "google"` from Play Age Signals). A declaration
   * never raises a band already set (409 `age_locked`).
   */
  setAge(age: AgeInput): Promise<Age> {
    return this.put("/api/me/age/", age);
  }

  /** A one-time WebSocket ticket (30 s); sockets take one per connection by themselves. */
  wsTicket(): Promise<WsTicket> {
    return this.post("/api/auth/ws-ticket/");
  }

  // --- sockets -----------------------------------------------------------------------------

  /**
   * A socket on `path` (`/ws/lobbies/3/`...) that connects at once, queues what is sent before
   * it opens and reconnects by itself; `Frames` types its frames.
   */
  socket<Frames extends object = Record<string, Frame>>(path: string, options: SocketOptions = {}): Socket<Frames> {
    const socket = new Socket<Frames>(this, path, options);
    this.sockets.add(socket);
    socket.onClose((reason) => reason.reconnect || this.sockets.delete(socket));
    return socket;
  }

  /** Closes every socket this client opened (a bot's or a test's last call: nothing keeps Node running). */
  close(): void {
    this.liveopsNow?.stop();
    for (const socket of [...this.sockets]) socket.close();
    this.sockets.clear();
    this.heldRooms.clear();
  }

  /**
   * The game socket of game `id` as a room: its view kept current, its inputs. The room of a match
   * `findMatch` found is the one it opened (already open, the player already seated), when no
   * options are given.
   */
  gameRoom<View = unknown>(id: Id, options: GameRoomOptions = {}): GameRoom<View> {
    const held = this.heldRooms.get(id);
    if (held) {
      this.heldRooms.delete(id);
      if (held.status !== "closed" && Object.keys(options).length === 0) return held as GameRoom<View>;
      held.close();
    }
    return new GameRoom<View>(this, id, options);
  }

  /** My notification socket (one per client, opened on first use; again after `close()`). */
  notifications(options: SocketOptions = {}): Notifications {
    if (!this.notificationsNow || this.notificationsNow.socket.status === "closed") {
      this.notificationsNow = new Notifications(this, options);
    }
    return this.notificationsNow;
  }

  /**
   * Queues for `mode` and resolves with the game id of a match every player came to. The match
   * comes from the join's answer or from `match_found` on the notification socket (opened first,
   * so no match is missed); `findMatch` opens its game socket and waits until every player is
   * there (the game leaves `waiting_for_players`). A match called off on the way (a player never
   * came: `match_cancelled`; the server queued me again with my wait) is closed and the next one
   * waited for, and so is a match I came to too late (then I join the queue again), all within
   * `timeoutMs`. While no match comes it asks the queue's status every 3 s: a match whose frame a
   * drop lost is found there, and a queue that lost me (away longer than the server keeps an
   * absent player) is joined again. The game socket stays open: `gameRoom(id)` hands it over.
   */
  async findMatch(mode = "tictactoe", { timeoutMs = 60_000 } = {}): Promise<Id> {
    const notifications = this.notifications();
    const deadline = Date.now() + timeoutMs;
    const found: Id[] = []; // matches reported, in order, not looked at yet
    const cancelled = new Set<Id>();
    let wake = (): void => undefined;
    /**
     * The next thing findMatch hears of (a match, a call-off, a change of the room it watches), or
     * `QUEUE_CHECK_MS` of nothing; rejects once the deadline has passed.
     */
    const nextEvent = (): Promise<void> => {
      const left = deadline - Date.now();
      if (left <= 0) {
        return Promise.reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no match within ${timeoutMs} ms` }));
      }
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          wake = () => undefined;
          resolve();
        }, Math.min(left, QUEUE_CHECK_MS));
        wake = () => {
          wake = () => undefined;
          clearTimeout(timer);
          resolve();
        };
      });
    };
    const stops = [
      notifications.on("match_found", (frame) => {
        found.push(frame.game_id);
        wake();
      }),
      notifications.on("match_cancelled", (frame) => {
        cancelled.add(frame.game_id);
        wake();
      }),
    ];
    const report = (answer: QueueAnswer | QueueStatus): void => {
      if (answer.status === "matched" && answer.game_id !== null) notifications.report(answer.game_id, true);
    };
    /** The queue's status: a match whose frame was lost is found there; a queue that lost me is joined again. */
    const recheck = async (): Promise<void> => {
      const status = await this.matchmaking.status();
      report(status.status === "idle" ? await this.matchmaking.join(mode) : status);
    };
    let watching: GameRoom<unknown> | null = null; // the match's room while its players come
    try {
      report(await this.matchmaking.join(mode));
      for (;;) {
        const gameId = found.shift();
        if (gameId === undefined) {
          await nextEvent();
          if (found.length === 0) await recheck(); // every few seconds (asking also keeps me queued)
          continue;
        }
        if (cancelled.has(gameId)) continue;
        const room = (watching = this.gameRoom(gameId));
        const stopChange = room.onChange(() => wake());
        const stopClose = room.socket.onClose((reason) => reason.reconnect || wake());
        let came = false;
        try {
          for (;;) {
            if (cancelled.has(gameId) || room.state === "abandoned" || room.status === "closed") break;
            if (room.state !== null && room.state !== "waiting_for_players") {
              // Not a match I came too late to: a game of three or more goes on without a player
              // who missed its window (their seat forfeited), and then I queue again.
              came = !room.players.some((p) => p.id === this.userId && p.forfeited);
              break;
            }
            await nextEvent();
          }
        } finally {
          stopChange();
          stopClose();
        }
        if (came) {
          this.heldRooms.set(gameId, room);
          watching = null;
          return gameId;
        }
        room.close();
        watching = null;
        await recheck(); // came too late: out of the queue too, and in again
      }
    } catch (error) {
      // Given up (the deadline passed): out of the queue, so that nobody is matched with a client no longer looking.
      await this.matchmaking.leave().catch(() => undefined);
      throw error;
    } finally {
      for (const stop of stops) stop();
      watching?.close();
    }
  }

  readonly users = {
    search: (search: string): Promise<Page<PublicUser>> => this.get("/api/users/", { search }),
    get: (id: Id): Promise<PublicUser> => this.get(`/api/users/${id}/`),
  };

  // --- matchmaking, invites, games -----------------------------------------------------

  readonly matchmaking = {
    /** Queue for a mode (default tic-tac-toe); twice is the same as once. */
    join: (mode = "tictactoe"): Promise<QueueAnswer> => this.post("/api/matchmaking/join/", { mode }),
    leave: (): Promise<{ status: "left" }> => this.post("/api/matchmaking/leave/"),
    status: (): Promise<QueueStatus> => this.get("/api/matchmaking/status/"),
  };

  readonly invites = {
    create: (invite: InviteRequest): Promise<Invite> => this.post("/api/invites/", invite),
    list: (box: "inbox" | "sent" = "inbox"): Promise<Page<Invite>> => this.get("/api/invites/", { box }),
    accept: (id: Id): Promise<InviteAccepted> => this.post(`/api/invites/${id}/accept/`),
    decline: (id: Id): Promise<unknown> => this.post(`/api/invites/${id}/decline/`),
    cancel: (id: Id): Promise<unknown> => this.post(`/api/invites/${id}/cancel/`),
  };

  readonly games = {
    /** My games, newest first. */
    list: (): Promise<Page<GameSummary>> => this.get("/api/games/"),
    get: (id: Id): Promise<GameSummary> => this.get(`/api/games/${id}/`),
    /** The modes the server plays, every page of the list (no session needed). */
    modes: (): Promise<GameMode[]> => this.all<GameMode>("/api/game/modes/", undefined, { auth: false }),
    /** Running games, newest first, e.g. `{ mode: "arena", open: true, label: { map: "dunes" } }`; watch one with `gameRoom(id, { watch: true })`. */
    rooms: (filter: RoomFilter = {}): Promise<Page<RunningRoom>> => this.get("/api/game/rooms/", roomQuery(filter)),
    /** A seat in a running game whose mode takes players in progress (409 `game_full` / `not_joinable`). */
    joinRoom: (id: Id): Promise<{ game_id: Id }> => this.post(`/api/game/rooms/${id}/join/`),
    /** A finished game's seed, players, inputs and result (403 `not_allowed`, 409 `replay_unavailable`). */
    replay: (id: Id): Promise<Replay> => this.get(`/api/games/${id}/replay/`),
    /** One page (at most 600) of what a spectator saw of a finished game, tick by tick; `next` continues it. */
    replayFrames: <View = unknown>(id: Id, { from, to }: FrameRange = {}): Promise<Page<ReplayFrame<View>>> =>
      this.get(`/api/games/${id}/replay/frames/`, { from, to }),
    leaderboard: (mode = "tictactoe"): Promise<Page<LeaderboardRow>> => this.get("/api/leaderboard/", { mode }),
  };

  // --- player safety ----------------------------------------------------------------------

  /**
   * Reports a player (`POST /api/reports/`): `{id, status: "open"}`; the server takes the evidence
   * itself (the context's last messages, a game's inputs). A player I already reported, while that
   * report is open, answers the first report. 400 `cannot_report_self`, 429 `rate_limited`.
   */
  report({ userId, reason, comment, context }: ReportRequest): Promise<ReportFiled> {
    const body: Record<string, unknown> = { user_id: userId, reason };
    if (comment) body.comment = comment;
    if (context) body.context = reportContext(context);
    return this.post("/api/reports/", body);
  }

  /** My reports, newest first, with their status (`open`, `actioned`, `dismissed`). */
  myReports(): Promise<Report[]> {
    return this.all("/api/reports/");
  }

  /** My sanctions, newest first, each with its statement, its end and my appeal of it. */
  mySanctions(): Promise<Sanction[]> {
    return this.all("/api/sanctions/");
  }

  /**
   * Appeals a sanction once, within 180 days (409 `appeal_exists` / `appeal_window_closed`): the
   * sanction with its appeal. Logged in, or with the `appealToken` of an `AccountSuspended` error
   * (a locked account cannot log in): then no access token is sent.
   */
  appeal(sanctionId: Id, text: string, { appealToken }: { appealToken?: string } = {}): Promise<Sanction> {
    const path = `/api/sanctions/${sanctionId}/appeal/`;
    if (appealToken) return this.post(path, { text, appeal_token: appealToken }, { auth: false });
    return this.post(path, { text });
  }

  // --- live operations (liveops.ts) ----------------------------------------------------------

  /**
   * Flags, experiments, live events, the liveops inbox and analytics events (one per client, made
   * on first use; the options count then only).
   */
  liveops(options: LiveOpsOptions = {}): LiveOps {
    this.liveopsNow ??= new LiveOps(this, options);
    return this.liveopsNow;
  }

  /** Persisted notifications (the `notification` frames kept by the server). */
  readonly inbox = {
    list: ({ unread = false } = {}): Promise<Page<PersistedNotification>> =>
      this.get("/api/notifications/", unread ? { unread: 1 } : {}),
    markRead: (ids: Id[] | "all"): Promise<unknown> =>
      this.post("/api/notifications/read/", ids === "all" ? { all: true } : { ids }),
  };

  // --- the meta-game (meta.ts) -------------------------------------------------------------

  readonly lobbies = lobbyCalls(this);
  readonly dms = dmCalls(this);
  readonly friends = friendCalls(this);
  readonly groups = groupCalls(this);
  readonly leaderboards = leaderboardCalls(this);
  readonly tournaments = tournamentCalls(this);
  readonly payments = paymentCalls(this);
  /** Per-user cloud storage (`/api/storage/`), not the session's storage. */
  readonly storage = storageCalls(this);
}

/**
 * While `findMatch` waits for a match it asks the queue's status this often, in milliseconds (the
 * server keeps a queued player with no socket `QUEUE_ALIVE_SECONDS`, 5 by default, after their
 * last request; a match whose frame a drop lost is found there too).
 */
const QUEUE_CHECK_MS = 3_000;

/** `games.rooms`' filter as the query the server reads (`label.KEY=VALUE`). */
function roomQuery({ mode, open, label = {} }: RoomFilter): Query {
  const query: Query = { mode, open: open === undefined ? undefined : open ? 1 : 0 };
  for (const [key, value] of Object.entries(label)) {
    query[`label.${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return query;
}

/** A report's context as the server reads it (`{lobby_id}`, `{game_id}`, `{group_id}`, `{dm_user_id}`). */
function reportContext({ lobbyId, gameId, groupId, dmUserId }: ReportContext): Record<string, Id> {
  const context: Record<string, Id> = {};
  if (lobbyId !== undefined) context.lobby_id = lobbyId;
  if (gameId !== undefined) context.game_id = gameId;
  if (groupId !== undefined) context.group_id = groupId;
  if (dmUserId !== undefined) context.dm_user_id = dmUserId;
  return context;
}

function notLoggedIn(): GamePlatformError {
  return new GamePlatformError({ status: 401, code: "not_authenticated", detail: "Not logged in." });
}

/** A network failure or a 5xx: worth trying again (a 4xx would get the same answer). */
function retryable(error: unknown): boolean {
  return error instanceof GamePlatformError && (error.status === 0 || error.status >= 500);
}
