// @gameplatform/client (client/js), bundled for browsers by esbuild: generated, do not edit.
// Refresh it with `make sdk-bundle` after changing client/js/src.

// dist/errors.js
var GamePlatformError = class extends Error {
  status;
  code;
  detail;
  /** Validation errors by field (`{"username": ["..."]}`), when the server sent them. */
  fields;
  /** Seconds to wait before trying again, when the server said (429, 503, `rate_limited` frames). */
  retryAfter;
  /** The `ref` of the client frame a socket's `error` answers. */
  ref;
  constructor(init) {
    super(init.detail || init.code);
    this.name = "GamePlatformError";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail || init.code;
    this.fields = init.fields ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.ref = init.ref ?? null;
  }
};
async function errorFromResponse(response) {
  const header = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(header) && header > 0 ? header : null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const status = response.status;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const record = body;
    if (typeof record.detail === "string") {
      const code = typeof record.code === "string" ? record.code : `http_${status}`;
      const fields = isRecord(record.fields) ? record.fields : null;
      return new GamePlatformError({ status, code, detail: record.detail, fields, retryAfter });
    }
    const detail = Object.entries(record).map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`).join("; ");
    return new GamePlatformError({ status, code: "invalid", detail, fields: record, retryAfter });
  }
  return new GamePlatformError({ status, code: `http_${status}`, detail: response.statusText, retryAfter });
}
function errorFromFrame(frame) {
  return new GamePlatformError({
    status: 0,
    code: typeof frame.code === "string" ? frame.code : "error",
    detail: typeof frame.message === "string" ? frame.message : "",
    fields: isRecord(frame.fields) ? frame.fields : null,
    retryAfter: typeof frame.retry_after === "number" ? frame.retry_after : null,
    ref: typeof frame.ref === "string" ? frame.ref : null
  });
}
function isRecord(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// dist/retry.js
var DEFAULT_RETRY = { retries: 3, baseMs: 250, maxMs: 8e3, jitter: 0.5 };
var DEFAULT_RECONNECT = { retries: Infinity, baseMs: 500, maxMs: 15e3, jitter: 0.5 };
function backoffDelay(attempt, policy, random = Math.random) {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return ceiling * (1 - jitter) + random() * ceiling * jitter;
}
var IDEMPOTENT_METHODS = /* @__PURE__ */ new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// dist/session.js
var MemoryStorage = class {
  items = /* @__PURE__ */ new Map();
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  setItem(key, value) {
    this.items.set(key, value);
  }
  removeItem(key) {
    this.items.delete(key);
  }
};
function defaultStorage() {
  try {
    const local = globalThis.localStorage;
    if (local)
      return local;
  } catch {
  }
  return new MemoryStorage();
}
var DEFAULT_STORAGE_KEY = "gameplatform.auth";
function readTokens(storage, key) {
  try {
    const value = JSON.parse(storage.getItem(key) ?? "null");
    if (value && typeof value === "object") {
      const { access, refresh } = value;
      if (typeof access === "string" && typeof refresh === "string")
        return { access, refresh };
    }
  } catch {
  }
  return null;
}
function writeTokens(storage, key, tokens2) {
  if (tokens2)
    storage.setItem(key, JSON.stringify({ access: tokens2.access, refresh: tokens2.refresh }));
  else
    storage.removeItem(key);
}
function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const text = atob(part + "=".repeat((4 - part.length % 4) % 4));
    const claims = JSON.parse(text);
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}
function tokenUserId(token) {
  const id = Number(tokenClaims(token)?.user_id);
  return Number.isInteger(id) ? id : null;
}
function refreshDueAt(token, marginS = 60) {
  const claims = tokenClaims(token);
  const exp = typeof claims?.exp === "number" ? claims.exp : null;
  if (exp === null)
    return null;
  const iat = typeof claims?.iat === "number" ? claims.iat : null;
  const lifetime = iat === null ? marginS * 4 : exp - iat;
  return (exp - Math.min(marginS, lifetime / 4)) * 1e3;
}

// dist/meta.js
var MAX_PAGE_SIZE = 200;
var slug = encodeURIComponent;
function lobbyCalls(client) {
  return {
    list: (query = {}) => client.get("/api/lobbies/", {
      public: query.public === void 0 ? void 0 : Number(query.public),
      status: query.status,
      search: query.search
    }),
    /** Premium users only (403 `premium_required`); `max_participants` 2-64. */
    create: (fields) => client.post("/api/lobbies/", fields),
    get: (id) => client.get(`/api/lobbies/${id}/`),
    /** 409 `lobby_full` / `lobby_closed`; 403 `banned` / `private_lobby`. */
    join: (id) => client.post(`/api/lobbies/${id}/join/`),
    leave: (id) => client.post(`/api/lobbies/${id}/leave/`),
    start: (id, mode) => client.post(`/api/lobbies/${id}/start/`, mode ? { mode } : {}),
    kick: (id, userId, reason = "") => client.post(`/api/lobbies/${id}/kick/`, { user_id: userId, reason }),
    ban: (id, userId, reason = "") => client.post(`/api/lobbies/${id}/ban/`, { user_id: userId, reason }),
    unban: (id, userId) => client.post(`/api/lobbies/${id}/unban/`, { user_id: userId }),
    messages: (id, query = {}) => client.get(`/api/lobbies/${id}/messages/`, query),
    /** Members only; at most 3 messages in 2 s (429 `rate_limited`). */
    post: (id, content) => client.post(`/api/lobbies/${id}/messages/`, { content }),
    /** The lobby's chat socket (members only: 4403): `lobby_state`, `chat_message`, presence, typing. */
    socket: (id, options = {}) => client.socket(`/ws/lobbies/${id}/`, options)
  };
}
function dmCalls(client) {
  return {
    conversations: () => client.get("/api/dm/"),
    /** Friends only (403 `not_friends` / `blocked`). */
    messages: (userId, query = {}) => client.get(`/api/dm/${userId}/messages/`, query),
    send: (userId, content) => client.post(`/api/dm/${userId}/messages/`, { content }),
    markRead: (userId) => client.post(`/api/dm/${userId}/read/`),
    /** The socket with one friend: `dm_message` both ways. */
    socket: (userId, options = {}) => client.socket(`/ws/dm/${userId}/`, options)
  };
}
function friendCalls(client) {
  return {
    list: () => client.get("/api/friends/"),
    /** A request to someone who already asked me accepts theirs; 409 duplicate, 403 `blocked`. */
    request: (userId) => client.post("/api/friends/requests/", { user_id: userId }),
    requests: (direction = "incoming") => client.get("/api/friends/requests/", { direction }),
    accept: (requestId) => client.post(`/api/friends/requests/${requestId}/accept/`),
    decline: (requestId) => client.post(`/api/friends/requests/${requestId}/decline/`),
    cancel: (requestId) => client.delete(`/api/friends/requests/${requestId}/`),
    remove: (userId) => client.delete(`/api/friends/${userId}/`),
    block: (userId) => client.post("/api/friends/blocks/", { user_id: userId }),
    unblock: (userId) => client.delete(`/api/friends/blocks/${userId}/`),
    /** `presence_snapshot` on connect, then `presence {user_id, status}`. */
    presenceSocket: (options = {}) => client.socket("/ws/friends/status/", options)
  };
}
function groupCalls(client) {
  return {
    list: (search = "") => client.get("/api/groups/", search ? { search } : {}),
    /** A page of the groups I am in, each with my `role`, the oldest membership first. */
    mine: ({ page, pageSize } = {}) => client.get("/api/groups/mine/", { page, page_size: pageSize }),
    /** Every group I am in (all the pages). */
    mineAll: () => client.all("/api/groups/mine/", { page_size: MAX_PAGE_SIZE }),
    /** I become its `superadmin`. */
    create: (fields) => client.post("/api/groups/", fields),
    get: (id) => client.get(`/api/groups/${id}/`),
    /** An open group at once, a closed one by request; 409 `group_full`. */
    join: (id) => client.post(`/api/groups/${id}/join/`),
    leave: (id) => client.post(`/api/groups/${id}/leave/`),
    members: (id) => client.get(`/api/groups/${id}/members/`),
    requests: (id) => client.get(`/api/groups/${id}/requests/`),
    acceptRequest: (id, userId) => client.post(`/api/groups/${id}/requests/${userId}/accept/`),
    declineRequest: (id, userId) => client.post(`/api/groups/${id}/requests/${userId}/decline/`),
    /** A higher role on a lower one (403 otherwise). */
    act: (id, action, userId) => client.post(`/api/groups/${id}/${action}/`, { user_id: userId }),
    messages: (id, query = {}) => client.get(`/api/groups/${id}/messages/`, query),
    post: (id, content) => client.post(`/api/groups/${id}/messages/`, { content }),
    /** The group's chat socket (members only: 4403). */
    socket: (id, options = {}) => client.socket(`/ws/groups/${id}/`, options)
  };
}
function leaderboardCalls(client) {
  return {
    /** A page of the boards that are not a tournament's, by id. */
    list: ({ page, pageSize } = {}) => client.get("/api/leaderboards/", { page, page_size: pageSize }),
    /** Every such board (all the pages). */
    listAll: () => client.all("/api/leaderboards/", { page_size: MAX_PAGE_SIZE }),
    get: (id) => client.get(`/api/leaderboards/${slug(id)}/`),
    /** Admins only. */
    create: (fields) => client.post("/api/leaderboards/", fields),
    /** My record after the board's operator (403 on an `authoritative` board). */
    write: (id, score, metadata = {}) => client.post(`/api/leaderboards/${slug(id)}/records/`, { score, metadata }),
    /** The top, or the rows around mine; `period: "previous"` reads the last reset's archive. */
    records: (id, { aroundMe = false, limit, period } = {}) => client.get(`/api/leaderboards/${slug(id)}/records/`, { around_me: aroundMe ? 1 : void 0, limit, period })
  };
}
function paymentCalls(client) {
  return {
    /** What can be bought with money (404 `not_configured` when no store is). */
    products: () => client.all("/api/payments/products/", { page_size: MAX_PAGE_SIZE }),
    /** A Stripe Checkout session for one product; granted only once Stripe's webhook says it was paid. */
    checkout: (productId) => client.post("/api/payments/checkout/", { product_id: productId }),
    /** My purchases, newest first, refunded ones included. */
    purchases: () => client.all("/api/payments/purchases/", { page_size: MAX_PAGE_SIZE })
  };
}
function tournamentCalls(client) {
  return {
    /** A page of the tournaments, the latest to start first. */
    list: ({ page, pageSize } = {}) => client.get("/api/tournaments/", { page, page_size: pageSize }),
    /** Every tournament (all the pages). */
    listAll: () => client.all("/api/tournaments/", { page_size: MAX_PAGE_SIZE }),
    get: (id) => client.get(`/api/tournaments/${slug(id)}/`),
    /** Admins only. */
    create: (fields) => client.post("/api/tournaments/", fields),
    /** Pays the entry fee once (402 `insufficient_funds`). */
    join: (id) => client.post(`/api/tournaments/${slug(id)}/join/`)
  };
}
function storageCalls(client) {
  const path = (collection, key) => `/api/storage/${slug(collection)}/${slug(key)}/`;
  return {
    /** An object of mine, or `userId`'s public one. */
    get: (collection, key, { userId } = {}) => client.get(path(collection, key), { user_id: userId }),
    /**
     * Writes an object whole. `version`: only if it is still at that version, `createOnly`: only
     * if it does not exist (else 412 `version_conflict`).
     */
    put: (collection, key, value, { read = "owner", version, createOnly = false } = {}) => {
      const headers = {};
      if (version !== void 0)
        headers["If-Match"] = `"${version}"`;
      if (createOnly)
        headers["If-None-Match"] = "*";
      return client.put(path(collection, key), { value, read }, { headers });
    },
    delete: (collection, key, { version } = {}) => client.delete(path(collection, key), version === void 0 ? {} : { headers: { "If-Match": `"${version}"` } }),
    /** My objects in a collection, or `userId`'s public ones. */
    list: (collection, { userId } = {}) => client.get(`/api/storage/${slug(collection)}/`, { user_id: userId })
  };
}
function items(listing) {
  return Array.isArray(listing) ? listing : listing.results;
}

// dist/notifications.js
var Notifications = class {
  socket;
  client;
  reported = /* @__PURE__ */ new Set();
  matchListeners = /* @__PURE__ */ new Set();
  constructor(client, options = {}) {
    this.client = client;
    this.socket = client.socket("/ws/notifications/", options);
    this.socket.on("match_found", (frame) => this.report(frame.game_id, false));
    this.socket.onOpen(() => void this.askForMatch());
  }
  /** `fn(frame)` for the socket's frames; `match_found` comes once per game, live or replayed. */
  on = (type, fn) => {
    if (type !== "match_found")
      return this.socket.on(type, fn);
    this.matchListeners.add(fn);
    return () => this.matchListeners.delete(fn);
  };
  /** The next match reported from now on (live or replayed); rejects with `timeout` after `timeoutMs`. */
  nextMatch({ timeoutMs = 6e4 } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no match_found within ${timeoutMs} ms` }));
      }, timeoutMs);
      const stop = this.on("match_found", (frame) => {
        stop();
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }
  close() {
    this.socket.close();
  }
  /** Reports a match the SDK learnt of another way (a queue join answered `matched`). */
  report(gameId, replayed) {
    if (this.reported.has(gameId))
      return;
    this.reported.add(gameId);
    const frame = { type: "match_found", game_id: gameId, ...replayed ? { replayed } : {} };
    for (const fn of this.matchListeners) {
      try {
        fn(frame);
      } catch (error) {
        console.error("gameplatform: a match_found listener threw", error);
      }
    }
  }
  async askForMatch() {
    try {
      const status = await this.client.matchmaking.status();
      if (status.status === "matched" && status.game_id !== null)
        this.report(status.game_id, true);
    } catch {
    }
  }
};

// dist/patch.js
var PatchError = class extends Error {
  name = "PatchError";
};
function applyPatch(doc, ops) {
  let root = copy(doc);
  for (const op of ops)
    root = applyOne(root, op);
  return root;
}
function applyOne(root, op) {
  switch (op.op) {
    case "add":
      return put(root, op.path, copy(op.value), "add");
    case "replace":
      return put(root, op.path, copy(op.value), "replace");
    case "remove":
      return remove(root, op.path);
    case "move": {
      const value = get(root, from(op));
      if (op.path.startsWith(`${op.from}/`))
        throw new PatchError(`cannot move ${op.from} into itself`);
      return put(remove(root, from(op)), op.path, value, "add");
    }
    case "copy":
      return put(root, op.path, copy(get(root, from(op))), "add");
    case "test":
      if (JSON.stringify(get(root, op.path)) !== JSON.stringify(op.value))
        throw new PatchError(`test failed at ${op.path}`);
      return root;
    default:
      throw new PatchError(`unknown op ${String(op.op)}`);
  }
}
function from(op) {
  if (typeof op.from !== "string")
    throw new PatchError(`${op.op} without from`);
  return op.from;
}
function tokens(path) {
  if (path === "")
    return [];
  if (!path.startsWith("/"))
    throw new PatchError(`bad pointer ${path}`);
  return path.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}
function index(list, token, end) {
  if (end && token === "-")
    return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw new PatchError(`bad index ${token}`);
  const at = Number(token);
  if (at > list.length || at === list.length && !end)
    throw new PatchError(`index ${at} out of range`);
  return at;
}
function parentOf(root, path) {
  const parts = tokens(path);
  const last = parts.pop();
  let node = root;
  for (const token of parts) {
    node = Array.isArray(node) ? node[index(node, token, false)] : isObject(node) ? node[token] : void 0;
  }
  if (!Array.isArray(node) && !isObject(node))
    throw new PatchError(`no container at ${path}`);
  return [node, last];
}
function get(root, path) {
  if (path === "")
    return root;
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent))
    return parent[index(parent, key, false)];
  if (!Object.prototype.hasOwnProperty.call(parent, key))
    throw new PatchError(`nothing at ${path}`);
  return parent[key];
}
function put(root, path, value, how) {
  if (path === "")
    return value;
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent)) {
    const at = index(parent, key, how === "add");
    if (how === "add")
      parent.splice(at, 0, value);
    else
      parent[at] = value;
  } else {
    if (how === "replace" && !Object.prototype.hasOwnProperty.call(parent, key))
      throw new PatchError(`nothing at ${path}`);
    parent[key] = value;
  }
  return root;
}
function remove(root, path) {
  if (path === "")
    throw new PatchError("cannot remove the whole document");
  const [parent, key] = parentOf(root, path);
  if (Array.isArray(parent))
    parent.splice(index(parent, key, false), 1);
  else if (Object.prototype.hasOwnProperty.call(parent, key))
    delete parent[key];
  else
    throw new PatchError(`nothing at ${path}`);
  return root;
}
function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
function copy(value) {
  return value === void 0 ? null : JSON.parse(JSON.stringify(value));
}

// dist/room.js
var OVER = /* @__PURE__ */ new Set(["finished", "abandoned", "aborted"]);
var GameRoom = class {
  id;
  client;
  socket;
  /** The latest `game_state` without its view (patches update `tick`, `turn`, `turn_deadline`). */
  game = null;
  /** My view of the game: the latest `game_state`'s `view` with every patch since applied. */
  view = null;
  /** The `game_over` frame, once the game has ended. */
  over = null;
  changeListeners = /* @__PURE__ */ new Set();
  pending = /* @__PURE__ */ new Map();
  refs = 0;
  /** When the turn clock runs out, by the client's clock (milliseconds), or null. */
  deadlineAt = null;
  constructor(client, id, options = {}) {
    const { watch = false, ...socketOptions } = options;
    this.id = id;
    this.client = client;
    this.socket = client.socket(`/ws/game/${id}/${watch ? "?watch=1" : ""}`, socketOptions);
    this.socket.on("game_state", (frame) => this.onState(frame));
    this.socket.on("state_patch", (frame) => this.onPatch(frame));
    this.socket.on("game_over", (frame) => this.onOver(frame));
    this.socket.on("ack", (frame) => this.settle(frame.ref, null));
    this.socket.on("error", (error) => error.ref && this.settle(error.ref, error));
    this.socket.onClose((reason) => this.onClose(reason.reconnect));
  }
  get state() {
    return this.game?.state ?? null;
  }
  get mode() {
    return this.game?.mode ?? null;
  }
  get players() {
    return this.game?.players ?? [];
  }
  get tick() {
    return this.game?.tick ?? null;
  }
  /** Whose turn it is (a user id), or null (real-time modes, a game not started). */
  get turn() {
    return this.game?.turn ?? null;
  }
  get myTurn() {
    return this.state === "active" && this.turn !== null && this.turn === this.client.userId;
  }
  get status() {
    return this.socket.status;
  }
  /**
   * Seconds left on the turn clock (modes with `turn_seconds`), counted down from the latest
   * frame that set it; null while no clock runs.
   */
  secondsLeft() {
    if (this.deadlineAt === null)
      return null;
    return Math.max(0, (this.deadlineAt - this.client.clock()) / 1e3);
  }
  /** `fn(frame)` for the room's frames (`player_move`, `game_action`...), after the room took them in. */
  on = (type, fn) => this.socket.on(type, fn);
  /** `fn(view, room)` after every `game_state` and `state_patch`; returns an unsubscribe function. */
  onChange(fn) {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }
  /**
   * Resolves with the room once `test(room)` holds: at once if it does now, else after the change
   * that makes it hold. E.g. `await room.until((r) => r.myTurn || r.over !== null)`.
   */
  until(test, { timeoutMs = 3e4 } = {}) {
    if (test(this))
      return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      const stop = () => {
        stopChange();
        stopClose();
        clearTimeout(timer);
      };
      const check = () => {
        if (!test(this))
          return;
        stop();
        resolve(this);
      };
      const stopChange = this.onChange(check);
      const stopClose = this.socket.onClose((reason) => {
        if (reason.reconnect)
          return;
        stop();
        reject(new GamePlatformError({ status: 0, code: "socket_closed", detail: reason.description }));
      });
      const timer = setTimeout(() => {
        stop();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `not reached within ${timeoutMs} ms` }));
      }, timeoutMs);
    });
  }
  /** The end of the game: its `game_over` (at once if it is over already). */
  async gameOver({ timeoutMs = 6e5 } = {}) {
    await this.until((room) => room.over !== null, { timeoutMs });
    return this.over;
  }
  // --- inputs ------------------------------------------------------------------------------
  /** I am ready; the game starts once every player is. */
  ready() {
    return this.request("player_ready");
  }
  /** A turn-based move (`player_move {movement}`); resolves with my view once the server took it. */
  async move(movement) {
    await this.request("player_move", { movement });
    return this.view;
  }
  /** A mode's action (`game_action {action, data}`); resolves with my view once the server took it. */
  async action(action, data = {}) {
    await this.request("game_action", { action, data });
    return this.view;
  }
  /**
   * A real-time input (`input {data}`), fire and forget: its effect comes in a later patch; a
   * refusal (`rate_limited`, `invalid`) reaches `on("error")`.
   */
  send(data) {
    return this.socket.send("input", { data });
  }
  forfeit() {
    return this.request("forfeit");
  }
  close() {
    this.socket.close();
  }
  request(type, fields = {}) {
    this.refs += 1;
    const ref = `${type}-${this.refs}`;
    return new Promise((resolve, reject) => {
      const result = this.socket.send(type, { ...fields, ref });
      if (result === "dropped") {
        reject(new GamePlatformError({ status: 0, code: "socket_closed", detail: "the game's socket is closed" }));
        return;
      }
      const connection = result === "sent" ? this.socket.opens : this.socket.opens + 1;
      this.pending.set(ref, { resolve, reject, connection });
    });
  }
  settle(ref, error) {
    const pending = this.pending.get(ref);
    if (!pending)
      return;
    this.pending.delete(ref);
    if (error)
      pending.reject(error);
    else
      pending.resolve();
  }
  // A frame that went out on a connection now gone may or may not have been taken: say so,
  // rather than wait forever. Frames still queued go out on the next connection.
  onClose(comesBack) {
    for (const [ref, pending] of this.pending) {
      if (comesBack && pending.connection > this.socket.opens)
        continue;
      this.pending.delete(ref);
      const detail = "the connection closed before the server answered; the frame may or may not have been taken";
      pending.reject(new GamePlatformError({ status: 0, code: "disconnected", detail }));
    }
  }
  // --- what the server sends ---------------------------------------------------------------
  onState(frame) {
    const { view, ...game } = frame;
    const same = this.game !== null && JSON.stringify([this.game, this.view]) === JSON.stringify([game, view ?? null]);
    this.game = game;
    this.view = view ?? null;
    this.setClock(game.turn_deadline);
    if (OVER.has(game.state) && !this.over) {
      this.over = { type: "game_over", winner_id: game.winner_id, reason: game.reason ?? game.state };
    }
    if (!same)
      this.changed();
  }
  onPatch(frame) {
    if (!this.game)
      return;
    try {
      this.view = applyPatch(this.view, frame.ops ?? []);
    } catch (error) {
      if (!(error instanceof PatchError))
        throw error;
      this.game = null;
      this.socket.reconnect();
      return;
    }
    if ("turn_deadline" in frame)
      this.setClock(frame.turn_deadline);
    this.game = {
      ...this.game,
      tick: frame.tick ?? this.game.tick,
      ..."turn" in frame ? { turn: frame.turn ?? null } : {},
      ..."turn_deadline" in frame ? { turn_deadline: frame.turn_deadline ?? null } : {}
    };
    this.changed();
  }
  // `turn_deadline` is the seconds left when the frame was sent: the clock starts on arrival.
  setClock(seconds) {
    this.deadlineAt = typeof seconds === "number" ? this.client.clock() + seconds * 1e3 : null;
  }
  onOver(frame) {
    this.over = frame;
    this.changed();
  }
  changed() {
    for (const fn of this.changeListeners) {
      try {
        fn(this.view, this);
      } catch (error) {
        console.error("gameplatform: an onChange listener threw", error);
      }
    }
  }
};

// dist/close.js
var NORMAL = { kind: "normal", reconnect: false, description: "closed normally" };
var FLOODING = { kind: "policy_violation", reconnect: true, description: "policy violation (flooding)" };
var TOO_LARGE = { kind: "too_large", reconnect: true, description: "a frame was too large" };
var LATER = {
  kind: "try_again_later",
  reconnect: true,
  description: "a service the server needs is unavailable: try again later"
};
var CLOSE_CODES = {
  1e3: NORMAL,
  1001: { kind: "going_away", reconnect: true, description: "the server is going away (a restart, a deploy)" },
  1006: { kind: "abnormal", reconnect: true, description: "the connection dropped without a close frame" },
  1008: FLOODING,
  1009: TOO_LARGE,
  1011: { kind: "server_error", reconnect: true, description: "the server met an unexpected error" },
  1013: LATER,
  4008: FLOODING,
  4009: TOO_LARGE,
  4013: LATER,
  4400: { kind: "unsupported_version", reconnect: false, description: "unsupported protocol version" },
  4401: { kind: "unauthenticated", reconnect: true, description: "not authenticated, or the access token expired" },
  4403: { kind: "forbidden", reconnect: false, description: "not allowed (not a member, banned, kicked, blocked)" },
  4404: { kind: "not_found", reconnect: false, description: "no such room" },
  4409: { kind: "replaced", reconnect: false, description: "replaced by a newer connection" }
};
function closeReason(code, reason = "", byClient = false) {
  const meaning = CLOSE_CODES[code] ?? { kind: "unknown", reconnect: true, description: `close code ${code}` };
  return { code, reason, byClient, ...meaning, reconnect: byClient ? false : meaning.reconnect };
}

// dist/socket.js
var OPEN = 1;
var STABLE_MS = 2e3;
var RECONNECT_CODE = 4e3;
var Socket = class {
  client;
  path;
  /** Connections opened so far (1 after the first open; more after reconnections). */
  opens = 0;
  /** Why the last connection closed, or null while none has. */
  lastClose = null;
  statusNow = "connecting";
  ws = null;
  queue = [];
  listeners = /* @__PURE__ */ new Map();
  openListeners = /* @__PURE__ */ new Set();
  closeListeners = /* @__PURE__ */ new Set();
  statusListeners = /* @__PURE__ */ new Set();
  options;
  attempt = 0;
  openedAt = 0;
  closedForGood = false;
  dropping = false;
  retryTimer = null;
  pingTimer = null;
  constructor(client, path, options = {}) {
    this.client = client;
    this.path = path;
    this.options = { reconnect: true, pingMs: 25e3, maxQueue: 256, ...options };
    if (!client.WebSocket) {
      const detail = "no WebSocket: pass { WebSocket } to new Client() (in Node 20: the ws package's)";
      throw new GamePlatformError({ status: 0, code: "no_websocket", detail });
    }
    queueMicrotask(() => void this.connect());
  }
  get status() {
    return this.statusNow;
  }
  get isOpen() {
    return this.ws !== null && this.ws.readyState === OPEN && this.statusNow === "open";
  }
  /** Frames waiting for the socket to open. */
  get queued() {
    return this.queue.length;
  }
  on(type, fn) {
    let set = this.listeners.get(type);
    if (!set)
      this.listeners.set(type, set = /* @__PURE__ */ new Set());
    set.add(fn);
    return () => set.delete(fn);
  }
  /** `fn({reconnected})` each time a connection opens. */
  onOpen(fn) {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }
  /** `fn(reason)` each time a connection closes: why, and whether the socket comes back. */
  onClose(fn) {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }
  /** `fn(status)` on every change: connecting, open, reconnecting, closed. */
  onStatus(fn) {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }
  next(type, { match, timeoutMs = 1e4 } = {}) {
    return new Promise((resolve, reject) => {
      const done = () => {
        stop();
        stopClose();
        clearTimeout(timer);
      };
      const stop = this.on(type, (frame) => {
        if (!match || match(frame)) {
          done();
          resolve(frame);
        }
      });
      const stopClose = this.onClose((reason) => {
        if (reason.reconnect)
          return;
        done();
        reject(new GamePlatformError({ status: 0, code: "socket_closed", detail: reason.description }));
      });
      const timer = setTimeout(() => {
        done();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no ${type} frame within ${timeoutMs} ms` }));
      }, timeoutMs);
    });
  }
  // --- sending --------------------------------------------------------------------------
  /**
   * Sends `{type, ...fields}` now if open ("sent"), else queues it for the next open ("queued");
   * a socket closed for good drops it ("dropped").
   */
  send(type, fields = {}) {
    const text = JSON.stringify({ ...fields, type });
    if (this.closedForGood)
      return "dropped";
    if (this.isOpen) {
      this.ws.send(text);
      return "sent";
    }
    this.queue.push(text);
    if (this.queue.length > this.options.maxQueue)
      this.queue.shift();
    return "queued";
  }
  // --- life cycle ---------------------------------------------------------------------------
  /** Closes for good (no reconnection); `onClose` hears `byClient: true`. Queued frames are dropped. */
  close() {
    if (this.closedForGood)
      return;
    this.closedForGood = true;
    this.queue.length = 0;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= OPEN)
      ws.close(1e3);
    this.finish(closeReason(1e3, "", true));
  }
  /**
   * Drops the current connection and makes a new one at once (listeners and queue kept); the
   * server sends a socket's opening frames (a fresh `game_state`...) again.
   */
  reconnect() {
    if (this.closedForGood || !this.ws)
      return;
    this.dropping = true;
    const ws = this.ws;
    if (typeof ws.terminate === "function")
      ws.terminate();
    else
      ws.close(RECONNECT_CODE, "reconnect");
  }
  async connect() {
    if (this.closedForGood)
      return;
    this.setStatus(this.opens === 0 && this.attempt === 0 ? "connecting" : "reconnecting");
    const WebSocketImpl = this.client.WebSocket;
    let url;
    try {
      url = await this.url();
    } catch (error) {
      if (error instanceof GamePlatformError && error.status === 401) {
        this.closedForGood = true;
        this.finish(closeReason(4401, "not logged in"));
        return;
      }
      this.retryLater();
      return;
    }
    if (this.closedForGood)
      return;
    let ws;
    try {
      ws = new WebSocketImpl(url);
    } catch (error) {
      this.closedForGood = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.finish({ ...closeReason(1006, reason), reconnect: false });
      return;
    }
    this.ws = ws;
    ws.onopen = () => this.opened(ws);
    ws.onmessage = (event) => this.received(ws, event.data);
    ws.onclose = (event) => void this.closed(ws, Number(event.code) || 1006, String(event.reason ?? ""));
    ws.onerror = () => {
    };
  }
  /** The socket's URL with a fresh one-time ticket. */
  async url() {
    const { ticket } = await this.client.wsTicket();
    const url = new URL(this.client.url(this.path));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    return url.toString();
  }
  opened(ws) {
    if (ws !== this.ws)
      return;
    this.opens += 1;
    this.openedAt = Date.now();
    this.setStatus("open");
    for (const text of this.queue.splice(0))
      ws.send(text);
    if (this.options.pingMs > 0) {
      this.pingTimer = setInterval(() => this.isOpen && ws.send('{"type":"ping"}'), this.options.pingMs);
      this.pingTimer.unref?.();
    }
    for (const fn of this.openListeners)
      safely(fn, { reconnected: this.opens > 1 });
  }
  received(ws, data) {
    if (ws !== this.ws)
      return;
    let frame;
    try {
      frame = JSON.parse(String(data));
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string")
      return;
    const typed = frame;
    this.emit(typed.type, typed.type === "error" ? errorFromFrame(typed) : typed);
    if (typed.type !== "error")
      this.emit("*", typed);
  }
  async closed(ws, code, reason) {
    if (ws !== this.ws)
      return;
    this.ws = null;
    this.clearTimers();
    if (Date.now() - this.openedAt >= STABLE_MS)
      this.attempt = 0;
    const dropped = this.dropping;
    this.dropping = false;
    const why = dropped ? { ...closeReason(code, reason), reconnect: true } : closeReason(code, reason);
    const comesBack = why.reconnect && this.options.reconnect;
    this.lastClose = { ...why, reconnect: comesBack };
    if (!comesBack) {
      this.closedForGood = true;
      this.finish(this.lastClose);
      return;
    }
    for (const fn of this.closeListeners)
      safely(fn, this.lastClose);
    if (dropped) {
      void this.connect();
      return;
    }
    if (why.kind === "unauthenticated") {
      try {
        await this.client.refresh();
      } catch {
        this.closedForGood = true;
        this.finish({ ...closeReason(4401, "the session could not be refreshed"), reconnect: false });
        return;
      }
    }
    this.retryLater();
  }
  retryLater() {
    if (this.closedForGood)
      return;
    this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.client.reconnectPolicy);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
  finish(reason) {
    this.lastClose = reason;
    this.queue.length = 0;
    for (const fn of this.closeListeners)
      safely(fn, reason);
    this.setStatus("closed");
  }
  clearTimers() {
    if (this.retryTimer)
      clearTimeout(this.retryTimer);
    if (this.pingTimer)
      clearInterval(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
  }
  setStatus(status) {
    if (this.statusNow === status)
      return;
    this.statusNow = status;
    for (const fn of this.statusListeners)
      safely(fn, status);
  }
  emit(type, value) {
    for (const fn of this.listeners.get(type) ?? [])
      safely(fn, value);
  }
};
function safely(fn, value) {
  try {
    fn(value);
  } catch (error) {
    console.error("gameplatform: a socket listener threw", error);
  }
}

// dist/client.js
var Client = class {
  baseUrl;
  retryPolicy;
  reconnectPolicy;
  WebSocket;
  clock;
  sessionStore;
  storageKey;
  fetchImpl;
  refreshMarginS;
  tokensNow;
  refreshing = null;
  sessionListeners = /* @__PURE__ */ new Set();
  notificationsNow = null;
  sockets = /* @__PURE__ */ new Set();
  constructor(options = {}) {
    const origin = globalThis.location?.origin;
    const baseUrl = options.baseUrl ?? origin;
    if (!baseUrl)
      throw new TypeError("new Client({ baseUrl }): no page origin to default to");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.sessionStore = options.storage ?? defaultStorage();
    this.storageKey = options.storageKey ?? DEFAULT_STORAGE_KEY;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl)
      throw new TypeError("new Client(): no global fetch; pass { fetch }");
    this.fetchImpl = fetchImpl.bind(globalThis);
    const globalWs = globalThis.WebSocket;
    this.WebSocket = options.WebSocket ?? globalWs ?? null;
    this.retryPolicy = options.retry === false ? null : { ...DEFAULT_RETRY, ...options.retry };
    this.reconnectPolicy = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.refreshMarginS = options.refreshMarginS ?? 60;
    this.clock = options.clock ?? Date.now;
    this.tokensNow = readTokens(this.sessionStore, this.storageKey);
  }
  // --- the session ---------------------------------------------------------------------
  /** True while there is a session (restored from storage, or after a login). */
  get loggedIn() {
    return this.tokensNow !== null;
  }
  /** The session's tokens, or null. */
  get tokens() {
    return this.tokensNow;
  }
  /** My user id (from the access token), or null when logged out. */
  get userId() {
    return this.tokensNow ? tokenUserId(this.tokensNow.access) : null;
  }
  /** `fn(loggedIn)` when the session starts or ends (a refresh that fails ends it); returns an unsubscribe. */
  onSessionChange(fn) {
    this.sessionListeners.add(fn);
    return () => this.sessionListeners.delete(fn);
  }
  /** Adopt tokens obtained elsewhere (another client, a provider's sign-in); null logs out locally. */
  useTokens(tokens2) {
    const was = this.loggedIn;
    this.tokensNow = tokens2 ? { access: tokens2.access, refresh: tokens2.refresh } : null;
    writeTokens(this.sessionStore, this.storageKey, this.tokensNow);
    if (was !== this.loggedIn)
      for (const fn of this.sessionListeners)
        fn(this.loggedIn);
  }
  async register(fields) {
    const body = { ...fields, password_confirm: fields.password_confirm ?? fields.password };
    const answer = await this.request("POST", "/api/auth/register/", { body, auth: false });
    this.useTokens(answer);
    return answer;
  }
  /** `username` may be an email address too. */
  async login(username, password) {
    const answer = await this.request("POST", "/api/auth/login/", {
      body: { username, password },
      auth: false
    });
    this.useTokens(answer);
    return answer;
  }
  /** The guest account of a device id (16-128 characters the app keeps), made on first use. */
  async deviceLogin(deviceId) {
    const answer = await this.request("POST", "/api/auth/device/", {
      body: { device_id: deviceId },
      auth: false
    });
    this.useTokens(answer);
    return answer;
  }
  /** This guest becomes a full account (same id, everything it owns kept). */
  linkAccount(fields) {
    return this.post("/api/auth/link/", fields);
  }
  /** Ends the session here and on the server (its refresh token dies), whatever the server answers. */
  async logout() {
    const refresh = this.tokensNow?.refresh;
    try {
      if (refresh)
        await this.request("POST", "/api/auth/logout/", { body: { refresh }, retry: false });
    } catch {
    } finally {
      this.useTokens(null);
    }
  }
  /**
   * Rotates the tokens now (`POST /api/auth/refresh/`); concurrent callers share one request, since
   * the old refresh token dies with the first. A refused refresh ends the session.
   */
  refresh() {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }
  async doRefresh() {
    const adopted = this.adoptStored();
    if (adopted && !this.due(adopted.access))
      return adopted;
    const refresh = this.tokensNow?.refresh;
    if (!refresh)
      throw notLoggedIn();
    try {
      const tokens2 = await this.request("POST", "/api/auth/refresh/", { body: { refresh }, auth: false });
      this.useTokens(tokens2);
      return this.tokensNow;
    } catch (error) {
      const rotatedMeanwhile = this.adoptStored();
      if (rotatedMeanwhile)
        return rotatedMeanwhile;
      if (error instanceof GamePlatformError && (error.status === 401 || error.status === 400))
        this.useTokens(null);
      throw error;
    }
  }
  /** The stored pair, taken when it differs from the one held (another client rotated it); else null. */
  adoptStored() {
    const stored = readTokens(this.sessionStore, this.storageKey);
    if (!stored || !this.tokensNow || stored.refresh === this.tokensNow.refresh)
      return null;
    this.tokensNow = stored;
    return stored;
  }
  due(access) {
    const at = refreshDueAt(access, this.refreshMarginS);
    return at !== null && this.clock() >= at;
  }
  /** An access token that is not about to expire (refreshed first when it is). */
  async accessToken() {
    if (!this.tokensNow)
      throw notLoggedIn();
    if (this.due(this.tokensNow.access))
      await this.refresh();
    return this.tokensNow.access;
  }
  // --- REST --------------------------------------------------------------------------
  /**
   * One REST call: JSON in and out, the answer's body (null for 204/205), or a `GamePlatformError`.
   * With a session the access token goes along (refreshed first when due; a 401 refreshes once and
   * tries again). Idempotent calls (GET, PUT, DELETE) that meet a network failure or a 5xx are
   * retried with exponential backoff and jitter, waiting at least the server's `Retry-After`.
   */
  async request(method, path, options = {}) {
    const policy = options.retry === false ? null : this.retryPolicy;
    const retries = policy && IDEMPOTENT_METHODS.has(method) ? policy.retries : 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.requestOnce(method, path, options, true);
      } catch (error) {
        if (attempt >= retries || !retryable(error))
          throw error;
        const wait = backoffDelay(attempt, policy);
        const after = error instanceof GamePlatformError && error.retryAfter ? error.retryAfter * 1e3 : 0;
        await sleep(Math.max(wait, Math.min(after, policy.maxMs)));
      }
    }
  }
  async requestOnce(method, path, options, mayRefresh) {
    const headers = { Accept: "application/json", ...options.headers };
    const init = { method, headers };
    if (options.signal)
      init.signal = options.signal;
    if (options.body !== void 0) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const withAuth = (options.auth ?? true) && this.tokensNow !== null;
    if (withAuth)
      headers.Authorization = `Bearer ${await this.accessToken()}`;
    let response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), init);
    } catch (error) {
      if (options.signal?.aborted)
        throw error;
      const detail = `Network error: ${error instanceof Error ? error.message : String(error)}`;
      throw new GamePlatformError({ status: 0, code: "network_error", detail });
    }
    if (response.status === 401 && withAuth && mayRefresh) {
      await this.refresh();
      return this.requestOnce(method, path, options, false);
    }
    if (!response.ok)
      throw await errorFromResponse(response);
    if (response.status === 204 || response.status === 205)
      return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }
  /**
   * An absolute URL for a path of the server (appended to `baseUrl`, which may hold a path prefix
   * of its own), or a full URL (a page's `next`), with a query.
   */
  url(path, query) {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path);
    const url = new URL(absolute ? path : this.baseUrl + (path.startsWith("/") ? path : `/${path}`));
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== null && value !== void 0)
        url.searchParams.set(name, String(value));
    }
    return url.toString();
  }
  get(path, query) {
    return this.request("GET", path, query ? { query } : {});
  }
  post(path, body = {}, options = {}) {
    return this.request("POST", path, { ...options, body });
  }
  put(path, body, options = {}) {
    return this.request("PUT", path, { ...options, body });
  }
  patch(path, body, options = {}) {
    return this.request("PATCH", path, { ...options, body });
  }
  delete(path, options = {}) {
    return this.request("DELETE", path, options);
  }
  /**
   * Every item of a paginated list, following `next` for at most `maxPages` pages; `auth: false`
   * sends no access token (a list that needs no session).
   */
  async all(path, query, { maxPages = 20, auth } = {}) {
    const options = auth === void 0 ? {} : { auth };
    const items2 = [];
    let page = await this.request("GET", path, query ? { ...options, query } : options);
    for (let n = 1; ; n += 1) {
      if (Array.isArray(page))
        return items2.concat(page);
      items2.push(...page.results);
      if (!page.next || n >= maxPages)
        return items2;
      page = await this.request("GET", page.next, options);
    }
  }
  // --- accounts ------------------------------------------------------------------------
  /** `GET /api/status/`: the server's health and version (no session needed). */
  status() {
    return this.request("GET", "/api/status/", { auth: false });
  }
  me() {
    return this.get("/api/me/");
  }
  updateMe(fields) {
    return this.patch("/api/me/", fields);
  }
  /** A one-time WebSocket ticket (30 s); sockets take one per connection by themselves. */
  wsTicket() {
    return this.post("/api/auth/ws-ticket/");
  }
  // --- sockets -----------------------------------------------------------------------------
  /**
   * A socket on `path` (`/ws/lobbies/3/`...) that connects at once, queues what is sent before
   * it opens and reconnects by itself; `Frames` types its frames.
   */
  socket(path, options = {}) {
    const socket = new Socket(this, path, options);
    this.sockets.add(socket);
    socket.onClose((reason) => reason.reconnect || this.sockets.delete(socket));
    return socket;
  }
  /** Closes every socket this client opened (a bot's or a test's last call: nothing keeps Node running). */
  close() {
    for (const socket of [...this.sockets])
      socket.close();
    this.sockets.clear();
  }
  /** The game socket of game `id` as a room: its view kept current, its inputs. */
  gameRoom(id, options = {}) {
    return new GameRoom(this, id, options);
  }
  /** My notification socket (one per client, opened on first use; again after `close()`). */
  notifications(options = {}) {
    if (!this.notificationsNow || this.notificationsNow.socket.status === "closed") {
      this.notificationsNow = new Notifications(this, options);
    }
    return this.notificationsNow;
  }
  /**
   * Queues for `mode` and resolves with the game id of my match: from the join's answer, or from
   * `match_found` on the notification socket (opened first, so no match is missed).
   */
  async findMatch(mode = "tictactoe", { timeoutMs = 6e4 } = {}) {
    const notifications = this.notifications();
    let stop = () => void 0;
    const found = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new GamePlatformError({ status: 0, code: "timeout", detail: `no match within ${timeoutMs} ms` }));
      }, timeoutMs);
      const unsubscribe = notifications.on("match_found", (frame) => {
        stop();
        resolve(frame.game_id);
      });
      stop = () => {
        clearTimeout(timer);
        unsubscribe();
      };
    });
    let answer;
    try {
      answer = await this.matchmaking.join(mode);
    } catch (error) {
      stop();
      throw error;
    }
    if (answer.status !== "matched")
      return found;
    stop();
    notifications.report(answer.game_id, true);
    return answer.game_id;
  }
  users = {
    search: (search) => this.get("/api/users/", { search }),
    get: (id) => this.get(`/api/users/${id}/`)
  };
  // --- matchmaking, invites, games -----------------------------------------------------
  matchmaking = {
    /** Queue for a mode (default tic-tac-toe); twice is the same as once. */
    join: (mode = "tictactoe") => this.post("/api/matchmaking/join/", { mode }),
    leave: () => this.post("/api/matchmaking/leave/"),
    status: () => this.get("/api/matchmaking/status/")
  };
  invites = {
    create: (invite) => this.post("/api/invites/", invite),
    list: (box = "inbox") => this.get("/api/invites/", { box }),
    accept: (id) => this.post(`/api/invites/${id}/accept/`),
    decline: (id) => this.post(`/api/invites/${id}/decline/`),
    cancel: (id) => this.post(`/api/invites/${id}/cancel/`)
  };
  games = {
    /** My games, newest first. */
    list: () => this.get("/api/games/"),
    get: (id) => this.get(`/api/games/${id}/`),
    /** The modes the server plays, every page of the list (no session needed). */
    modes: () => this.all("/api/game/modes/", void 0, { auth: false }),
    /** Running games, newest first, e.g. `{ mode: "arena", open: true, label: { map: "dunes" } }`; watch one with `gameRoom(id, { watch: true })`. */
    rooms: (filter = {}) => this.get("/api/game/rooms/", roomQuery(filter)),
    /** A seat in a running game whose mode takes players in progress (409 `game_full` / `not_joinable`). */
    joinRoom: (id) => this.post(`/api/game/rooms/${id}/join/`),
    /** A finished game's seed, players, inputs and result (403 `not_allowed`, 409 `replay_unavailable`). */
    replay: (id) => this.get(`/api/games/${id}/replay/`),
    /** One page (at most 600) of what a spectator saw of a finished game, tick by tick; `next` continues it. */
    replayFrames: (id, { from: from2, to } = {}) => this.get(`/api/games/${id}/replay/frames/`, { from: from2, to }),
    leaderboard: (mode = "tictactoe") => this.get("/api/leaderboard/", { mode })
  };
  /** Persisted notifications (the `notification` frames kept by the server). */
  inbox = {
    list: ({ unread = false } = {}) => this.get("/api/notifications/", unread ? { unread: 1 } : {}),
    markRead: (ids) => this.post("/api/notifications/read/", ids === "all" ? { all: true } : { ids })
  };
  // --- the meta-game (meta.ts) -------------------------------------------------------------
  lobbies = lobbyCalls(this);
  dms = dmCalls(this);
  friends = friendCalls(this);
  groups = groupCalls(this);
  leaderboards = leaderboardCalls(this);
  tournaments = tournamentCalls(this);
  payments = paymentCalls(this);
  /** Per-user cloud storage (`/api/storage/`), not the session's storage. */
  storage = storageCalls(this);
};
function roomQuery({ mode, open, label = {} }) {
  const query = { mode, open: open === void 0 ? void 0 : open ? 1 : 0 };
  for (const [key, value] of Object.entries(label)) {
    query[`label.${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return query;
}
function notLoggedIn() {
  return new GamePlatformError({ status: 401, code: "not_authenticated", detail: "Not logged in." });
}
function retryable(error) {
  return error instanceof GamePlatformError && (error.status === 0 || error.status >= 500);
}

// dist/index.js
var VERSION = "1.0.0";
export {
  CLOSE_CODES,
  Client,
  DEFAULT_RECONNECT,
  DEFAULT_RETRY,
  GamePlatformError,
  GameRoom,
  MemoryStorage,
  Notifications,
  PatchError,
  Socket,
  VERSION,
  applyPatch,
  backoffDelay,
  closeReason,
  items,
  refreshDueAt,
  tokenClaims
};
