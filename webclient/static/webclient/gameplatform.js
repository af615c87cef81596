// gameplatform's browser SDK for the pages of this site: the TypeScript package client/js
// (@gameplatform/client), bundled into gameplatform-client.js (`make sdk-bundle`), under the names
// the web client and the pages written for it have always used. Sessions, REST, sockets,
// reconnection, rooms and patches are the package's; this module only renames.
//
//   import { Client } from "/static/webclient/gameplatform.js";
//   const gp = new Client();                       // same origin; new Client({ baseUrl: "https://host" })
//   await gp.login("user_1", "testpass123");       // tokens kept in localStorage, refreshed ahead of expiry
//   const lobby = gp.socket("/ws/lobbies/1/");     // one-time ticket per connection, reconnects by itself
//   lobby.on("chat_message", (frame) => console.log(frame.message.content));
//   const room = gp.gameRoom(42);                  // /ws/game/42/: the view, kept current from state_patch
//   room.onChange((view) => draw(view)); room.ready(); room.move({ x: 3, y: 4 });
//
// Everything the package exports is exported here too (applyPatch, GamePlatformError, backoffDelay...).
import * as sdk from "./gameplatform-client.js";

export * from "./gameplatform-client.js";

/** The package's one error class, under the name this SDK gave it first. */
export const ApiError = sdk.GamePlatformError;

const NOTIFICATIONS_PATH = /^\/ws\/notifications\/?(\?|$)/;

function storedTokens(storage, key) {
  try {
    const tokens = JSON.parse(storage.getItem(key) ?? "null");
    return tokens?.access && tokens?.refresh ? { access: tokens.access, refresh: tokens.refresh } : null;
  } catch {
    return null;
  }
}

/**
 * A socket as the web client reads it: the package's ``Socket`` (``socket``), with the pseudo-types
 * ``open``, ``close`` (``{code, reason, final, ...}``, not for a close of ours) and ``status`` on
 * ``on``, and ``send`` answering whether the frame went out or waits (false once closed for good).
 */
export class Socket {
  constructor(socket, listen = (type, fn) => socket.on(type, fn)) {
    this.socket = socket;
    this.listen = listen;
  }

  on(type, fn) {
    if (type === "open") return this.socket.onOpen(fn);
    if (type === "status") return this.socket.onStatus(fn);
    if (type === "close") return this.socket.onClose((why) => why.byClient || fn({ ...why, final: !why.reconnect }));
    return this.listen(type, fn);
  }

  send(type, fields = {}) {
    return this.socket.send(type, fields) !== "dropped";
  }

  get status() {
    return this.socket.status;
  }

  get isOpen() {
    return this.socket.isOpen;
  }

  reconnect() {
    this.socket.reconnect();
  }

  close() {
    this.socket.close();
  }
}

// A move refused reaches on("error") as well: the promise nobody awaits must not count as unhandled.
function handled(promise) {
  promise.catch(() => {});
  return promise;
}

/**
 * The package's ``GameRoom`` (``room``) for the web client: its state, view and turn clock, ``on``
 * with the socket's pseudo-types, ``onChange(fn(view, room))``, and inputs whose promises may be
 * ignored (a refusal also reaches ``on("error")``). ``keepFrames: n`` keeps the last ``n`` frames
 * received, as JSON text, in ``frames`` (the page keeps 5,000, for the console and the tests).
 */
export class GameRoom {
  constructor(client, room, { keepFrames = 0, watch = false } = {}) {
    this.client = client;
    this.gameId = room.id;
    this.room = room;
    this.watching = watch; // a spectator (``?watch=1``): the spectator view; inputs get ``not_a_player``
    this.socket = new Socket(this.room.socket);
    this.frames = keepFrames > 0 ? [] : null;
    if (this.frames) {
      const keep = (frame) => this.frames.push(JSON.stringify(frame)) > keepFrames && this.frames.shift();
      this.room.socket.on("*", keep);
      this.room.socket.on("error", (e) => keep({ type: "error", code: e.code, message: e.detail, ref: e.ref }));
    }
  }

  get game() {
    return this.room.game;
  }

  get view() {
    return this.room.view;
  }

  get over() {
    return this.room.over;
  }

  /** The game's life cycle (``waiting_for_players`` ... ``finished``), or null before the first ``game_state``. */
  get state() {
    return this.room.state;
  }

  get mode() {
    return this.room.mode;
  }

  get players() {
    return this.room.players;
  }

  get tick() {
    return this.room.tick;
  }

  get turn() {
    return this.room.turn;
  }

  get myTurn() {
    return this.room.myTurn;
  }

  get status() {
    return this.room.status;
  }

  secondsLeft() {
    return this.room.secondsLeft();
  }

  on(type, fn) {
    return this.socket.on(type, fn);
  }

  onChange(fn) {
    return this.room.onChange((view) => fn(view, this));
  }

  until(test, options) {
    return this.room.until(() => test(this), options).then(() => this);
  }

  ready() {
    return handled(this.room.ready());
  }

  move(movement) {
    return handled(this.room.move(movement));
  }

  action(action, data = {}) {
    return handled(this.room.action(action, data));
  }

  /** A real-time ``input``: true when it went out or waits for the socket, false once the room is closed. */
  sendInput(data) {
    return this.room.send(data) !== "dropped";
  }

  forfeit() {
    return handled(this.room.forfeit());
  }

  close() {
    this.room.close();
  }
}

/**
 * The package's ``Client``, plus this SDK's names: ``onAuthChange``, ``gameRoom`` and ``socket``
 * giving the classes above, and one method per meta-game route (``listGroups``, ``writeRecord``,
 * ``storagePut``...), each one of the package's typed calls. In a page it follows the other tabs
 * of its origin: a logout or a token rotation there is taken here at once.
 */
export class Client extends sdk.Client {
  // True while one of the package's own classes (a room, the notifications) opens its socket:
  // they get the package's Socket, the page gets the wrapper.
  #inner = false;
  #notifications = null;

  constructor(options = {}) {
    super(options);
    const storage = options.storage ?? globalThis.localStorage;
    const key = options.storageKey ?? "gameplatform.auth";
    globalThis.addEventListener?.("storage", (event) => {
      if (event.key !== key || event.storageArea !== storage) return;
      const fresh = storedTokens(storage, key);
      if (fresh?.refresh !== this.tokens?.refresh) this.useTokens(fresh);
    });
  }

  #package(make) {
    this.#inner = true;
    try {
      return make();
    } finally {
      this.#inner = false;
    }
  }

  onAuthChange(fn) {
    return this.onSessionChange(fn);
  }

  /** A socket on ``path`` (``/ws/notifications/``: one that never loses a ``match_found``). */
  socket(path, options = {}) {
    if (this.#inner) return super.socket(path, options);
    if (!NOTIFICATIONS_PATH.test(path)) return new Socket(super.socket(path, options));
    const notifications = this.#package(() => new sdk.Notifications(this, options));
    // "*" hears every frame, match_found as the package reports it: once a game, replayed or live.
    const listen = (type, fn) => {
      if (type !== "*") return notifications.on(type, fn);
      const stops = [notifications.socket.on("*", (f) => f.type === "match_found" || fn(f)), notifications.on("match_found", fn)];
      return () => stops.forEach((stop) => stop());
    };
    return new Socket(notifications.socket, listen);
  }

  /** The client's one notifications socket (a new one once it was closed), as the package's:
   * the page and the package's own listeners (``liveops().onChange``) share it. */
  notifications(options = {}) {
    if (!this.#notifications || this.#notifications.status === "closed") {
      this.#notifications = this.socket("/ws/notifications/", options);
    }
    return this.#notifications;
  }

  /** The game socket of game ``gameId`` as a ``GameRoom``; ``{watch: true}`` watches it as a spectator. */
  gameRoom(gameId, { keepFrames = 0, watch = false, ...options } = {}) {
    return new GameRoom(this, this.#package(() => new sdk.GameRoom(this, gameId, { ...options, watch })), { keepFrames, watch });
  }

  // --- groups -------------------------------------------------------------------------------
  async listGroups({ search = "" } = {}) {
    return sdk.items(await this.groups.list(search));
  }
  myGroups() {
    return this.groups.mineAll();
  }
  createGroup({ name, description = "", open = true, maxMembers = 100 }) {
    return this.groups.create({ name, description, open, max_members: maxMembers });
  }
  getGroup(groupId) {
    return this.groups.get(groupId);
  }
  joinGroup(groupId) {
    return this.groups.join(groupId);
  }
  leaveGroup(groupId) {
    return this.groups.leave(groupId);
  }
  groupMembers(groupId) {
    return this.all(`/api/groups/${groupId}/members/`, { page_size: 200 });
  }
  groupRequests(groupId) {
    return this.all(`/api/groups/${groupId}/requests/`, { page_size: 200 });
  }
  acceptGroupRequest(groupId, userId) {
    return this.groups.acceptRequest(groupId, userId);
  }
  declineGroupRequest(groupId, userId) {
    return this.groups.declineRequest(groupId, userId);
  }
  async groupAction(groupId, action, userId) {
    if (!["promote", "demote", "kick", "ban"].includes(action)) throw new Error(`unknown group action ${action}`);
    return this.groups.act(groupId, action, userId);
  }
  groupHistory(groupId, { pageSize = 50 } = {}) {
    return this.groups.messages(groupId, { page_size: pageSize });
  }
  postGroupMessage(groupId, content) {
    return this.groups.post(groupId, content);
  }
  // The package's groups.socket opens through socket() above: the page's Socket already.
  groupSocket(groupId, options = {}) {
    return this.groups.socket(groupId, options);
  }

  // --- leaderboards and tournaments ------------------------------------------------------------
  listLeaderboards() {
    return this.leaderboards.listAll();
  }
  getLeaderboard(boardId) {
    return this.leaderboards.get(boardId);
  }
  createLeaderboard(boardId, { sort = "desc", operator = "best", reset = null, authoritative = false, metadata = {} } = {}) {
    return this.leaderboards.create({ id: boardId, sort, operator, reset, authoritative, metadata });
  }
  writeRecord(boardId, score, metadata = {}) {
    return this.leaderboards.write(boardId, score, metadata);
  }
  async leaderboardRecords(boardId, { aroundMe = false, limit = 20, period = undefined } = {}) {
    return sdk.items(await this.leaderboards.records(boardId, { aroundMe, limit, period: period ?? undefined }));
  }
  listTournaments() {
    return this.tournaments.listAll();
  }
  getTournament(tournamentId) {
    return this.tournaments.get(tournamentId);
  }
  createTournament(tournamentId, { start, end, ...fields }) {
    return this.tournaments.create({ id: tournamentId, start, end, ...fields });
  }
  joinTournament(tournamentId) {
    return this.tournaments.join(tournamentId);
  }

  // --- cloud storage ------------------------------------------------------------------------
  storageGet(collection, key, { userId = null } = {}) {
    return this.storage.get(collection, key, { userId });
  }
  storagePut(collection, key, value, { read = "owner", version = null, createOnly = false } = {}) {
    return this.storage.put(collection, key, value, { read, version: version ?? undefined, createOnly });
  }
  storageDelete(collection, key, { version = null } = {}) {
    return this.storage.delete(collection, key, { version: version ?? undefined });
  }
  async storageList(collection, { userId = null } = {}) {
    return sdk.items(await this.storage.list(collection, { userId }));
  }
}
