// gameplatform browser SDK: one ES module, no build step, no dependencies.
//
//   import { Client } from "/static/webclient/gameplatform.js";
//   const gp = new Client();                       // same origin; new Client({ baseUrl: "https://host" })
//   await gp.login("user_1", "testpass123");       // or gp.register({...}), gp.deviceLogin(id); tokens kept in localStorage
//   const me = await gp.get("/api/me/");
//   const lobby = gp.socket("/ws/lobbies/1/");     // one-time ticket, reconnects with backoff + jitter
//   lobby.on("chat_message", (frame) => console.log(frame.message.content));
//   lobby.send("chat_message", { message: "hi" });
//   const room = gp.gameRoom(42);                  // /ws/game/42/: the view, kept current from state_patch frames
//   room.onChange((view) => draw(view));           // room.turn, room.state, room.secondsLeft()
//   room.ready(); room.move({ x: 3, y: 4 });        // also action(), sendInput(), forfeit()
//
// Named methods for the meta-game routes: groups (listGroups, createGroup, joinGroup, groupAction,
// groupSocket ...), leaderboards and tournaments (writeRecord, leaderboardRecords, joinTournament ...)
// and cloud storage (storageGet, storagePut, storageList, storageDelete); gp.get/post reach any other route.
//
// REST failures throw ApiError {status, code, detail, fields}; socket "error" frames reach
// on("error") as the same shape (status 0). See the contract for routes and frames.

/**
 * Types for editors (JSDoc): the frames ``Socket.on`` hands to its handlers, by type. The contract
 * lists every frame; these are the common ones, any other type gets a plain object.
 * @typedef {{id: number, username: string, is_premium?: boolean, display_name?: string}} User
 * @typedef {{type: "chat_message", message: {id: number, content: string, sender: User, created_at: string}}} ChatMessageFrame
 * @typedef {{type: "lobby_state", lobby: object, online_user_ids: number[]}} LobbyStateFrame
 * @typedef {{type: "group_state", group: object, online_user_ids: number[]}} GroupStateFrame
 * @typedef {{type: "typing_start" | "typing_stop", user_id: number, username: string}} TypingFrame
 * @typedef {{type: "dm_message", message: {id: number, sender_id: number, recipient_id: number, content: string, created_at: string}}} DmMessageFrame
 * @typedef {{type: "game_state", id: number, mode: string, state: string, board: (string|null)[] | null,
 *   turn: number | null, turn_deadline: number | null, winner_id: number | null, reason: string | null,
 *   version: number, tick: number, view: any,
 *   players: {id: number, username: string, score: number, side: string, ready: boolean, connected: boolean,
 *   forfeited: boolean}[]}} GameStateFrame
 * @typedef {{op: "add" | "remove" | "replace", path: string, value?: any}} PatchOp
 * @typedef {{type: "state_patch", tick: number, ops: PatchOp[], turn: number | null, turn_deadline: number | null}} StatePatchFrame
 * @typedef {{type: "game_over", winner_id: number | null, reason: "win" | "draw" | "forfeit" | "abandoned"}} GameOverFrame
 * @typedef {{type: "badge", unread_dms: number, pending_invites: number, pending_friend_requests: number}} BadgeFrame
 * @typedef {{type: "presence", user_id: number, status: "online" | "offline"}} PresenceFrame
 * @typedef {{type: "match_found", game_id: number}} MatchFoundFrame
 * @typedef {{code: number, reason: string, final: boolean}} CloseEvent
 * @typedef {{chat_message: ChatMessageFrame, lobby_state: LobbyStateFrame, group_state: GroupStateFrame,
 *   typing_start: TypingFrame,
 *   typing_stop: TypingFrame, dm_message: DmMessageFrame, game_state: GameStateFrame, state_patch: StatePatchFrame,
 *   game_over: GameOverFrame,
 *   badge: BadgeFrame, presence: PresenceFrame, match_found: MatchFoundFrame, error: ApiError,
 *   close: CloseEvent, open: {}, status: "connecting" | "open" | "reconnecting" | "closed"}} KnownFrames
 */

const REFRESH_MARGIN_S = 60; // refresh the access token this long before it expires
const STORAGE_KEY = "gameplatform.auth";

/** Every failure: ``status`` (HTTP status, 0 for socket frames and network errors), ``code``
 * (the contract's machine code), ``detail`` (a human message), ``fields`` (validation errors)
 * and ``retryAfter`` (seconds, when the server said: 429 rate_limited, 503 overloaded). */
export class ApiError extends Error {
  constructor({ status = 0, code = "error", detail = "", fields = null } = {}) {
    super(detail || code);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail || code;
    this.fields = fields; // {"field": ["message", ...]} for validation errors
    this.retryAfter = null;
  }

  static async fromResponse(response) {
    const error = await ApiError._fromBody(response);
    const retryAfter = Number(response.headers.get("Retry-After"));
    if (retryAfter > 0) error.retryAfter = retryAfter;
    return error;
  }

  static async _fromBody(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (body && typeof body === "object" && !Array.isArray(body)) {
      if (typeof body.detail === "string") {
        return new ApiError({ status: response.status, code: body.code || "error", detail: body.detail, fields: body.fields || null });
      }
      // DRF validation errors: {"field": ["message", ...]}
      const detail = Object.entries(body)
        .map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`)
        .join("; ");
      return new ApiError({ status: response.status, code: "invalid", detail, fields: body });
    }
    return new ApiError({ status: response.status, code: `http_${response.status}`, detail: response.statusText || "Request failed." });
  }
}

/** The claims of a JWT (not verified: the server does that), or null. */
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return null;
  }
}

/** Seconds since the epoch at which a JWT expires (its ``exp`` claim), or null. */
export function tokenExpiry(token) {
  return tokenClaims(token)?.exp ?? null;
}

/** When to refresh an access token (seconds since the epoch): a minute before it expires,
 * or a quarter of its lifetime before for short-lived tokens; null if it has no expiry. */
export function refreshAt(token) {
  const claims = tokenClaims(token);
  if (!claims?.exp) return null;
  const lifetime = claims.iat ? claims.exp - claims.iat : REFRESH_MARGIN_S * 4;
  return claims.exp - Math.min(REFRESH_MARGIN_S, lifetime / 4);
}

/** Backoff for the n-th reconnect attempt (0-based): exponential, capped, with full jitter on half of it. */
export function backoffDelay(attempt, { baseMs = 500, maxMs = 15000 } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Tokens, kept in a Storage (localStorage by default) so a reload stays logged in. */
class TokenStore {
  constructor(storage, key) {
    this.storage = storage;
    this.key = key;
  }

  read() {
    try {
      return JSON.parse(this.storage?.getItem(this.key) || "null");
    } catch {
      return null;
    }
  }

  write(tokens) {
    if (!this.storage) return;
    if (tokens) this.storage.setItem(this.key, JSON.stringify(tokens));
    else this.storage.removeItem(this.key);
  }
}

/** ``?a=1&b=2`` from the entries that are not null (``""`` when none are). */
function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined) search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

function storagePath(collection, key) {
  return `/api/storage/${encodeURIComponent(collection)}/${encodeURIComponent(key)}/`;
}

export class Client {
  constructor({ baseUrl = "", storage = globalThis.localStorage, storageKey = STORAGE_KEY } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.store = new TokenStore(storage, storageKey);
    this.tokens = this.store.read(); // {access, refresh}
    this._refreshing = null;
    this._refreshTimer = null;
    this._authListeners = new Set();
    this._scheduleRefresh();
    // Another tab of this origin logged out or rotated the tokens: follow it.
    globalThis.addEventListener?.("storage", (event) => {
      if (event.key !== storageKey || event.storageArea !== storage) return;
      const tokens = this.store.read();
      if (!tokens && this.loggedIn) this._setTokens(null);
      else if (tokens) {
        this.tokens = tokens;
        this._scheduleRefresh();
      }
    });
  }

  // --- auth ------------------------------------------------------------------------

  get loggedIn() {
    return Boolean(this.tokens?.refresh);
  }

  /** ``fn(loggedIn)`` whenever the session starts or ends (a failed refresh ends it). */
  onAuthChange(fn) {
    this._authListeners.add(fn);
    return () => this._authListeners.delete(fn);
  }

  async login(username, password) {
    const tokens = await this.request("POST", "/api/auth/login/", { username, password }, { auth: false });
    this._setTokens(tokens);
    return tokens;
  }

  /** ``{username, email, password, password_confirm}`` → ``{user, access, refresh}``. */
  async register(fields) {
    const body = await this.request("POST", "/api/auth/register/", fields, { auth: false });
    this._setTokens({ access: body.access, refresh: body.refresh });
    return body;
  }

  /** Logs in as the guest of ``deviceId`` (16-128 characters kept by the app), made on first use:
   * ``{user, access, refresh, created}``. After ``linkAccount`` the device logs into the full account. */
  async deviceLogin(deviceId) {
    const body = await this.request("POST", "/api/auth/device/", { device_id: deviceId }, { auth: false });
    this._setTokens({ access: body.access, refresh: body.refresh });
    return body;
  }

  /** ``{username, email, password}``: this guest becomes a full account (same id) → ``{user}``. */
  linkAccount(fields) {
    return this.request("POST", "/api/auth/link/", fields);
  }


  async logout() {
    const refresh = this.tokens?.refresh;
    try {
      if (refresh) await this.request("POST", "/api/auth/logout/", { refresh });
    } catch {
      // the session ends on this side whatever the server says
    } finally {
      this._setTokens(null);
    }
  }

  /** A valid access token, refreshed first when it is about to expire (``refreshAt``). */
  async accessToken() {
    if (!this.tokens) throw new ApiError({ status: 401, code: "not_authenticated", detail: "Not logged in." });
    const at = refreshAt(this.tokens.access);
    if (at !== null && Date.now() / 1000 >= at) await this.refresh();
    return this.tokens.access;
  }

  /** Rotates the tokens; concurrent callers share one request (the old refresh token dies). */
  refresh() {
    if (!this._refreshing) {
      this._refreshing = this._doRefresh().finally(() => {
        this._refreshing = null;
      });
    }
    return this._refreshing;
  }

  async _doRefresh() {
    // Another tab of the same origin may have rotated the tokens already.
    const stored = this.store.read();
    if (stored?.refresh && stored.refresh !== this.tokens?.refresh && this._fresh(stored)) return this._adopt(stored);
    const refresh = stored?.refresh || this.tokens?.refresh;
    if (!refresh) throw new ApiError({ status: 401, code: "not_authenticated", detail: "Not logged in." });
    try {
      const tokens = await this.request("POST", "/api/auth/refresh/", { refresh }, { auth: false });
      this._setTokens(tokens, { silent: true });
      return tokens;
    } catch (error) {
      // Two tabs refreshing at once: the other one won and stored the new pair.
      const now = this.store.read();
      if (now?.refresh && now.refresh !== refresh) return this._adopt(now);
      if (error.status === 401 || error.status === 400) this._setTokens(null);
      throw error;
    }
  }

  _fresh(tokens) {
    const at = refreshAt(tokens.access);
    return at === null || Date.now() / 1000 < at;
  }

  _adopt(tokens) {
    this.tokens = tokens;
    this._scheduleRefresh();
    return tokens;
  }

  _setTokens(tokens, { silent = false } = {}) {
    const was = this.loggedIn;
    this.tokens = tokens;
    this.store.write(tokens);
    this._scheduleRefresh();
    if (!silent || was !== this.loggedIn) this._authListeners.forEach((fn) => fn(this.loggedIn));
  }

  /** Refresh ahead of expiry, a little at random so that several tabs do not all go at once. */
  _scheduleRefresh() {
    clearTimeout(this._refreshTimer);
    const at = this.tokens ? refreshAt(this.tokens.access) : null;
    if (at === null) return;
    const inMs = Math.max(1000, at * 1000 - Date.now() - Math.random() * 5000);
    this._refreshTimer = setTimeout(() => this.refresh().catch(() => {}), Math.min(inMs, 2 ** 31 - 1));
  }

  // --- REST ----------------------------------------------------------------------

  /** JSON in and out; throws ApiError. A 401 with a session refreshes once and retries. */
  async request(method, path, body = undefined, { auth = true, headers = {}, retry = true } = {}) {
    const init = { method, headers: { Accept: "application/json", ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (auth && this.tokens) init.headers.Authorization = `Bearer ${await this.accessToken()}`;
    let response;
    try {
      response = await fetch(this.baseUrl + path, init);
    } catch (error) {
      throw new ApiError({ status: 0, code: "network_error", detail: `Network error: ${error.message}` });
    }
    if (response.status === 401 && auth && retry && this.tokens) {
      await this.refresh();
      return this.request(method, path, body, { auth, headers, retry: false });
    }
    if (!response.ok) throw await ApiError.fromResponse(response);
    if (response.status === 204 || response.status === 205) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body = {}, options = {}) {
    return this.request("POST", path, body, options);
  }

  patch(path, body) {
    return this.request("PATCH", path, body);
  }

  delete(path) {
    return this.request("DELETE", path);
  }

  /** Every item of a paginated list (``{next, results}``), following ``next`` up to ``maxPages``. */
  async all(path, { maxPages = 10 } = {}) {
    const items = [];
    let url = path;
    for (let page = 0; url && page < maxPages; page += 1) {
      const body = await this.get(url);
      if (Array.isArray(body)) return body;
      items.push(...body.results);
      const next = body.next ? new URL(body.next, this.baseUrl || location.href) : null;
      url = next ? next.pathname + next.search : null;
    }
    return items;
  }

  // --- groups (clans) ----------------------------------------------------------------

  /** Groups by name (``search``), first page: ``[{id, name, description, open, max_members, member_count, created_at}]``. */
  async listGroups({ search = "" } = {}) {
    const page = await this.get(`/api/groups/${query({ search: search || null })}`);
    return page.results;
  }

  /** The groups I am in, each with my ``role`` (``superadmin`` / ``admin`` / ``member``). */
  myGroups() {
    return this.get("/api/groups/mine/");
  }

  /** A new group of which I am the ``superadmin``. */
  createGroup({ name, description = "", open = true, maxMembers = 100 }) {
    return this.post("/api/groups/", { name, description, open, max_members: maxMembers });
  }

  getGroup(groupId) {
    return this.get(`/api/groups/${groupId}/`);
  }

  /** ``{status: "member" | "requested", group}``: an open group at once, a closed one by request (409 group_full). */
  joinGroup(groupId) {
    return this.post(`/api/groups/${groupId}/join/`);
  }

  leaveGroup(groupId) {
    return this.post(`/api/groups/${groupId}/leave/`);
  }

  /** Every member, longest-standing first (all the pages): ``[{user, role, joined_at}]``. */
  groupMembers(groupId) {
    return this.all(`/api/groups/${groupId}/members/?page_size=200`);
  }

  /** Requests to join a closed group (its admins; all the pages), oldest first: ``[{user, created_at}]``. */
  groupRequests(groupId) {
    return this.all(`/api/groups/${groupId}/requests/?page_size=200`);
  }

  acceptGroupRequest(groupId, userId) {
    return this.post(`/api/groups/${groupId}/requests/${userId}/accept/`);
  }

  declineGroupRequest(groupId, userId) {
    return this.post(`/api/groups/${groupId}/requests/${userId}/decline/`);
  }

  /** A higher role on a lower one (403 otherwise): ``action`` is ``promote``, ``demote``, ``kick`` or ``ban``. */
  async groupAction(groupId, action, userId) {
    if (!["promote", "demote", "kick", "ban"].includes(action)) throw new Error(`unknown group action ${action}`);
    return this.post(`/api/groups/${groupId}/${action}/`, { user_id: userId });
  }

  /** The chat's latest page (oldest first within it): ``{next, previous, results: [{id, content, sender, created_at}]}``. */
  groupHistory(groupId, { pageSize = 50 } = {}) {
    return this.get(`/api/groups/${groupId}/messages/${query({ page_size: pageSize })}`);
  }

  /** A chat message over REST (the socket's ``chat_message`` frame does the same). */
  postGroupMessage(groupId, content) {
    return this.post(`/api/groups/${groupId}/messages/`, { content });
  }

  /** The group's chat socket (``/ws/groups/{id}/``, members only: 4403): ``group_state``, ``chat_message``, presence. */
  groupSocket(groupId, options = {}) {
    return this.socket(`/ws/groups/${groupId}/`, options);
  }

  // --- leaderboards and tournaments --------------------------------------------------

  /** Every board: ``[{id, sort, operator, reset, authoritative, metadata, ...}]``. */
  listLeaderboards() {
    return this.get("/api/leaderboards/");
  }

  getLeaderboard(boardId) {
    return this.get(`/api/leaderboards/${encodeURIComponent(boardId)}/`);
  }

  /** Admins only (403 admin_only); ``reset``: a 5-field cron (UTC) or null. */
  createLeaderboard(boardId, { sort = "desc", operator = "best", reset = null, authoritative = false, metadata = {} } = {}) {
    return this.post("/api/leaderboards/", { id: boardId, sort, operator, reset, authoritative, metadata });
  }

  /** My record after the board's operator: ``{rank, user, score, metadata, updated_at}`` (403 on an authoritative board). */
  writeRecord(boardId, score, metadata = {}) {
    return this.post(`/api/leaderboards/${encodeURIComponent(boardId)}/records/`, { score, metadata });
  }

  /** The top, or the page around my record (``aroundMe``): the page's rows ``[{rank, user, score, ...}]``;
   * ``period: "previous"`` reads the last reset's archive. A tournament's standings are its board's records.
   * The page itself (``{next, previous, results}``, to walk the board) is ``get`` of the same route. */
  async leaderboardRecords(boardId, { aroundMe = false, limit = 20, period = null } = {}) {
    const params = query({ around_me: aroundMe ? 1 : null, limit, period });
    const page = await this.get(`/api/leaderboards/${encodeURIComponent(boardId)}/records/${params}`);
    return Array.isArray(page) ? page : page.results;
  }

  /** Every tournament with its ``status`` (upcoming / open / paying / ended) and whether I ``joined``. */
  listTournaments() {
    return this.get("/api/tournaments/");
  }

  getTournament(tournamentId) {
    return this.get(`/api/tournaments/${encodeURIComponent(tournamentId)}/`);
  }

  /** Admins only; ``fields``: title, sort, operator, max_entries, entry_fee, rewards (``[{rank_from, rank_to, gold}]``). */
  createTournament(tournamentId, { start, end, ...fields }) {
    return this.post("/api/tournaments/", { id: tournamentId, start, end, ...fields });
  }

  /** Pays the entry fee once (again: nothing paid); short of gold: ApiError status 402, code ``insufficient_funds``. */
  joinTournament(tournamentId) {
    return this.post(`/api/tournaments/${encodeURIComponent(tournamentId)}/join/`);
  }

  // --- cloud storage ------------------------------------------------------------------

  /** An object of mine (or ``userId``'s public one) → ``{collection, key, value, version, read, updated_at}``. */
  storageGet(collection, key, { userId = null } = {}) {
    return this.get(`${storagePath(collection, key)}${query({ user_id: userId })}`);
  }

  /** Writes an object whole; ``version``: only if still at it, ``createOnly``: only if new (else 412 version_conflict). */
  storagePut(collection, key, value, { read = "owner", version = null, createOnly = false } = {}) {
    const headers = {};
    if (version !== null) headers["If-Match"] = `"${version}"`;
    if (createOnly) headers["If-None-Match"] = "*";
    return this.request("PUT", storagePath(collection, key), { value, read }, { headers });
  }

  /** Deletes an object of mine; ``version``: only if still at it (else 412 version_conflict). */
  storageDelete(collection, key, { version = null } = {}) {
    const headers = version === null ? {} : { "If-Match": `"${version}"` };
    return this.request("DELETE", storagePath(collection, key), undefined, { headers });
  }

  /** My objects in a collection (first page, by key), or ``userId``'s public ones. */
  async storageList(collection, { userId = null } = {}) {
    const page = await this.get(`/api/storage/${encodeURIComponent(collection)}/${query({ user_id: userId })}`);
    return Array.isArray(page) ? page : page.results;
  }

  // --- sockets -------------------------------------------------------------------

  /** A WebSocket URL for ``path`` with a fresh one-time ticket (never the token in the URL). */
  async socketUrl(path) {
    const { ticket } = await this.post("/api/auth/ws-ticket/");
    const base = new URL(this.baseUrl || location.href, location.href);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    const url = new URL(path, base);
    url.searchParams.set("ticket", ticket);
    return url.toString();
  }

  /** An open, self-reconnecting socket; see ``Socket`` (``/ws/notifications/``: a ``NotificationSocket``). */
  socket(path, options = {}) {
    if (NOTIFICATIONS_PATH.test(path)) return new NotificationSocket(this, path, options).open();
    return new Socket(this, path, options).open();
  }

  /** ``/ws/notifications/``, which never loses a ``match_found``; see ``NotificationSocket``. */
  notifications(options = {}) {
    return this.socket("/ws/notifications/", options);
  }

  /** The game socket of game ``gameId`` as a ``GameRoom`` (the current view, patched);
   * ``{watch: true}`` watches it as a spectator. */
  gameRoom(gameId, options = {}) {
    return new GameRoom(this, gameId, options);
  }
}

// Close codes after which reconnecting cannot help (contract): not allowed, no such room,
// replaced by a newer connection, unsupported protocol version, normal close by us.
const FINAL_CLOSE_CODES = new Set([1000, 4400, 4403, 4404, 4409]);
// Frames sent while the socket is not open wait for it, up to this many (then send says false).
const MAX_QUEUED_FRAMES = 100;

/**
 * One socket that stays connected: every (re)connect takes a fresh ticket; a drop
 * reconnects after ``backoffDelay`` (reset once connected); 4401 refreshes the session
 * first. Handlers: ``on(type, fn)`` per frame type, ``on("*", fn)`` for all, and the
 * pseudo-types ``open``, ``close`` ({code, reason, final}) and ``status`` (connecting /
 * open / reconnecting / closed). The option ``onText(text)`` hears every message as received.
 * ``send`` before the socket is open (or while it reconnects) queues the frame: queued frames
 * go out in order as soon as it opens, before the ``open`` handlers run.
 */
export class Socket {
  constructor(client, path, { reconnect = true, baseMs = 500, maxMs = 15000, pingMs = 25000, onText = null } = {}) {
    this.client = client;
    this.path = path;
    this.options = { reconnect, baseMs, maxMs, pingMs };
    this.onText = onText; // fn(text) for every message as received, before it is parsed
    this.handlers = new Map();
    this.ws = null;
    this.attempt = 0;
    this.status = "idle";
    this.closedByUs = false;
    this._timer = null;
    this._pinger = null;
    this._queue = []; // frames (as text) sent before the socket opened
  }

  /**
   * @template {string} T
   * @param {T} type a frame type, ``"*"`` for every frame, or ``open`` / ``close`` / ``status`` / ``error``
   * @param {(frame: T extends keyof KnownFrames ? KnownFrames[T] : Record<string, any>) => void} fn
   * @returns {() => void} removes the handler
   */
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type)?.delete(fn);
  }

  _emit(type, payload) {
    for (const key of [type, "*"]) {
      for (const fn of this.handlers.get(key) || []) {
        try {
          fn(payload);
        } catch (error) {
          console.error(`handler for ${type} failed`, error);
        }
      }
    }
  }

  _setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this._emit("status", status);
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends ``{type, ...fields}``, or queues it until the socket opens; false (nothing sent, ever)
   * once the socket is closed for good or when ``MAX_QUEUED_FRAMES`` already wait. */
  send(type, fields = {}) {
    const text = JSON.stringify({ ...fields, type });
    if (this.isOpen) {
      this.ws.send(text);
      return true;
    }
    if (this.status === "closed" || this._queue.length >= MAX_QUEUED_FRAMES) return false;
    this._queue.push(text);
    return true;
  }

  _flush() {
    const queued = this._queue.splice(0);
    for (const text of queued) this.ws.send(text);
  }

  /** Connects on the next tick, so handlers added right after ``open()`` hear every event. */
  open() {
    this.closedByUs = false;
    queueMicrotask(() => this._connect());
    return this;
  }

  close() {
    this.closedByUs = true;
    this._queue = [];
    clearTimeout(this._timer);
    clearInterval(this._pinger);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
    this._setStatus("closed");
  }

  async _connect() {
    if (this.closedByUs) return;
    this._setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let url;
    try {
      url = await this.client.socketUrl(this.path);
    } catch (error) {
      if (error.status === 401) return this._final(4401, "not authenticated");
      return this._retry();
    }
    if (this.closedByUs) return;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => this._opened();
    ws.onmessage = (event) => {
      this.onText?.(event.data);
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this._frame(frame);
    };
    ws.onclose = (event) => this._onClose(ws, event);
  }

  /** Every (re)connect, once the socket is open. */
  _opened() {
    this.attempt = 0;
    this._flush();
    this._setStatus("open");
    this._emit("open", {});
    clearInterval(this._pinger);
    this._pinger = setInterval(() => this.send("ping"), this.options.pingMs);
  }

  /** A frame received, parsed: to its handlers (``error`` frames as ``ApiError`` objects). */
  _frame(frame) {
    if (frame.type === "error") {
      const error = new ApiError({ status: 0, code: frame.code, detail: frame.message, fields: frame.fields || null });
      error.ref = frame.ref;
      error.retryAfter = frame.retry_after ?? null;
      this._emit("error", error);
      return;
    }
    this._emit(frame.type, frame);
  }

  async _onClose(ws, event) {
    if (ws !== this.ws) return;
    clearInterval(this._pinger);
    if (this.closedByUs) return;
    const final = !this.options.reconnect || FINAL_CLOSE_CODES.has(event.code);
    this._emit("close", { code: event.code, reason: event.reason, final });
    if (final) return this._final(event.code, event.reason, false);
    if (event.code === 4401) {
      try {
        await this.client.refresh();
      } catch {
        return this._final(4401, "session expired", false);
      }
    }
    this._retry();
  }

  _final(code, reason, emit = true) {
    this._queue = [];
    if (emit) this._emit("close", { code, reason, final: true });
    this._setStatus("closed");
  }

  _retry() {
    if (this.closedByUs) return;
    const delay = backoffDelay(this.attempt, this.options);
    this.attempt += 1;
    this._setStatus("reconnecting");
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._connect(), delay);
  }
}

const NOTIFICATIONS_PATH = /^\/ws\/notifications\/?(\?|$)/;

/**
 * ``/ws/notifications/`` (``gp.notifications()``, or ``gp.socket("/ws/notifications/")``): a
 * ``Socket`` that never loses a ``match_found``. The server sends that frame once, to the sockets
 * open at the time; so on every (re)connect this socket asks ``GET /api/matchmaking/status/``, and
 * a match it has not announced yet (made before it opened, or while it was down) comes as
 * ``match_found {game_id, replayed: true}``. Each game is announced once per socket, live or
 * replayed, whichever comes first.
 */
export class NotificationSocket extends Socket {
  constructor(client, path = "/ws/notifications/", options = {}) {
    super(client, path, options);
    this.matchedGameIds = new Set();
  }

  _opened() {
    super._opened();
    this._catchUpMatch();
  }

  async _catchUpMatch() {
    let status;
    try {
      status = await this.client.get("/api/matchmaking/status/");
    } catch {
      return; // the next (re)connect asks again
    }
    if (this.closedByUs || status?.status !== "matched" || !status.game_id) return;
    this._frame({ type: "match_found", game_id: status.game_id, replayed: true });
  }

  _frame(frame) {
    if (frame.type === "match_found") {
      if (this.matchedGameIds.has(frame.game_id)) return;
      this.matchedGameIds.add(frame.game_id);
    }
    super._frame(frame);
  }
}

// --- game rooms ------------------------------------------------------------------------

class PatchError extends Error {}

function pointerTokens(path) {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new PatchError(`bad pointer ${path}`);
  return path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function listIndex(list, token, endOk) {
  if (token === "-" && endOk) return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`bad list index ${token}`);
  const index = Number(token);
  if (index > list.length || (index === list.length && !endOk)) throw new PatchError(`list index ${index} out of range`);
  return index;
}

// A copy as JSON sees it: no shared parts (structuredClone would keep two references to one object).
function jsonCopy(value) {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/**
 * ``doc`` with the RFC 6902 operations ``ops`` applied (``add``, ``remove``, ``replace``: what a
 * ``state_patch`` carries; ``path: ""`` replaces the whole document). ``doc`` is not changed: the
 * result is a copy. Throws an Error when an operation does not fit the document.
 */
export function applyPatch(doc, ops) {
  let root = jsonCopy(doc);
  for (const { op, path, value } of ops) {
    const tokens = pointerTokens(path);
    const copy = jsonCopy(value);
    if (!["add", "remove", "replace"].includes(op)) throw new PatchError(`unsupported op ${op}`);
    if (tokens.length === 0) {
      if (op === "remove") throw new PatchError("cannot remove the whole document");
      root = copy;
      continue;
    }
    let parent = root;
    for (const token of tokens.slice(0, -1)) {
      parent = Array.isArray(parent) ? parent[listIndex(parent, token, false)] : parent?.[token];
      if (parent === null || typeof parent !== "object") throw new PatchError(`no container at ${path}`);
    }
    const last = tokens[tokens.length - 1];
    if (Array.isArray(parent)) {
      const index = listIndex(parent, last, op === "add");
      if (op === "add") parent.splice(index, 0, copy);
      else if (op === "remove") parent.splice(index, 1);
      else parent[index] = copy;
    } else if (parent !== null && typeof parent === "object") {
      const has = Object.prototype.hasOwnProperty.call(parent, last);
      if (op !== "add" && !has) throw new PatchError(`no key ${last} at ${path}`);
      if (op === "remove") delete parent[last];
      else parent[last] = copy;
    } else {
      throw new PatchError(`no container at ${path}`);
    }
  }
  return root;
}

/**
 * A game's socket (``/ws/game/{id}/``) that keeps the game current: the latest ``game_state``
 * (``game``, without its view), the player's ``view`` with every ``state_patch`` applied in order,
 * ``turn``, ``state``, ``tick``, ``players`` and the turn clock (``secondsLeft()``). ``onChange(fn)``
 * calls ``fn(view, room)`` after each of them. A patch that does not apply (it never should)
 * reconnects the socket: the server sends a fresh ``game_state`` on every connect.
 *
 * Inputs: ``ready()``, ``move(movement)``, ``action(action, data)``, ``sendInput(data)``,
 * ``forfeit()``; each sends a frame with a fresh ``ref`` and returns it (queued until the socket
 * opens, so ``room.ready()`` right after ``gameRoom(id)`` works; null once the room is closed): a
 * refusal comes back as an ``error`` (``on("error", fn)``, an ``ApiError``) with the same ``ref``. ``on(type, fn)`` hears every frame as ``Socket.on`` does, after the room has
 * taken it in. ``keepFrames: n`` keeps the text of the last ``n`` frames received in ``frames``
 * (for debugging, and for tests that check what reached this player).
 */
export class GameRoom {
  constructor(client, gameId, { keepFrames = 0, watch = false, ...socketOptions } = {}) {
    this.client = client;
    this.gameId = gameId;
    this.watching = watch; // a spectator (``?watch=1``): the spectator view; inputs get ``not_a_player``
    this.game = null;
    this.view = null;
    this.tick = null;
    this.turn = null;
    this.turnDeadlineAt = null; // performance.now() milliseconds at which the turn clock runs out
    this.frames = keepFrames > 0 ? [] : null;
    this._keep = keepFrames;
    this._changeFns = new Set();
    this._refs = 0;
    this.socket = new Socket(client, `/ws/game/${gameId}/${watch ? "?watch=1" : ""}`, { ...socketOptions, onText: (text) => this._record(text) });
    this.socket.on("game_state", (frame) => this._onState(frame));
    this.socket.on("state_patch", (frame) => this._onPatch(frame));
    this.socket.open();
  }

  /** The game's life-cycle state (``waiting_for_players`` ... ``finished``), or null before the first frame. */
  get state() {
    return this.game?.state ?? null;
  }

  get mode() {
    return this.game?.mode ?? null;
  }

  get players() {
    return this.game?.players ?? [];
  }

  get status() {
    return this.socket.status;
  }

  /** Seconds left on the turn clock (null: no clock running). */
  secondsLeft() {
    if (this.turnDeadlineAt === null) return null;
    return Math.max(0, (this.turnDeadlineAt - performance.now()) / 1000);
  }

  on(type, fn) {
    return this.socket.on(type, fn);
  }

  /** ``fn(view, room)`` after every change of the view, the turn or the game; returns an unsubscribe function. */
  onChange(fn) {
    this._changeFns.add(fn);
    return () => this._changeFns.delete(fn);
  }

  ready() {
    return this._send("player_ready");
  }

  move(movement) {
    return this._send("player_move", { movement });
  }

  action(action, data = {}) {
    return this._send("game_action", { action, data });
  }

  sendInput(data) {
    return this._send("input", { data });
  }

  forfeit() {
    return this._send("forfeit");
  }

  close() {
    this.socket.close();
  }

  _send(type, fields = {}) {
    this._refs += 1;
    const ref = `${type}-${this._refs}`;
    return this.socket.send(type, { ...fields, ref }) ? ref : null;
  }

  _record(text) {
    if (!this.frames) return;
    this.frames.push(text);
    if (this.frames.length > this._keep) this.frames.splice(0, this.frames.length - this._keep);
  }

  _clock(turn, deadline) {
    this.turn = turn ?? null;
    this.turnDeadlineAt = typeof deadline === "number" ? performance.now() + deadline * 1000 : null;
  }

  _onState(frame) {
    const { view, ...game } = frame;
    this.game = game;
    this.view = view ?? null;
    this.tick = frame.tick ?? null;
    this._clock(frame.turn, frame.turn_deadline);
    this._changed();
  }

  _onPatch(frame) {
    if (!this.game) return; // a game_state always comes first on a connection
    try {
      this.view = applyPatch(this.view, frame.ops || []);
    } catch (error) {
      console.warn(`game ${this.gameId}: a patch did not apply (${error.message}); resyncing`);
      this.game = null;
      this.socket.ws?.close(4000, "resync"); // reconnects; the server sends a fresh game_state
      return;
    }
    this.tick = frame.tick ?? this.tick;
    this._clock(frame.turn, frame.turn_deadline);
    this.game = { ...this.game, turn: this.turn, turn_deadline: frame.turn_deadline ?? null, tick: this.tick };
    this._changed();
  }

  _changed() {
    for (const fn of this._changeFns) {
      try {
        fn(this.view, this);
      } catch (error) {
        console.error("onChange handler failed", error);
      }
    }
  }
}
