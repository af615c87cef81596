/**
 * A game's socket (`/ws/game/{id}/`) kept as a room: the latest `game_state` (`game`), my `view`
 * with every `state_patch` applied in order, `onChange`, and the inputs. Moves, actions, ready
 * and forfeit carry a `ref` and resolve when the server's `ack` for it arrives (the patches of
 * that step came first, so `view` already shows it), or reject with the `error` it refused them
 * with. What is sent before the socket opens is queued: `ready()` right after `gameRoom(id)` works.
 *
 * No call waits forever: each fails with a `GamePlatformError` `timeout` once its `timeoutMs`
 * (the room's or the client's `requestTimeoutMs`, 10 s by default) is over. A frame that went out
 * on a connection that closed before its answer is sent again, with the same `ref`, once the new
 * connection has its fresh `game_state` (the server takes a `ref` once: a frame it already took is
 * answered `ack` with `duplicate: true`, and not applied twice). An `unavailable` answer (the
 * game's room is moving between server processes) is tried again after its `retry_after`, while
 * the call's time allows.
 */
import type { Client } from "./client.js";
import { GamePlatformError } from "./errors.js";
import type { AckFrame, GameFrames, GameOverFrame, GamePlayer, GameStateFrame, StatePatchFrame } from "./frames.js";
import { applyPatch, PatchError } from "./patch.js";
import type { SendResult, Socket, SocketOptions, SocketStatus } from "./socket.js";
import type { GamePhase, Id } from "./types.js";

/** A room call's answer wait when neither the call, the room nor the client says (milliseconds). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
// The longest delay timers take (about 24.8 days); a longer one would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;
// An `unavailable` answer without `retry_after`: the wait before sending again.
const UNAVAILABLE_RETRY_MS = 1000;

/** `ms` when it is a usable timeout (a number of milliseconds above 0 a timer can wait), else a TypeError. */
export function checkedTimeout(ms: number, where: string): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    throw new TypeError(`${where}: milliseconds above 0 and at most ${MAX_TIMER_MS}, not ${String(ms)}`);
  }
  return ms;
}

export type GameInfo = Omit<GameStateFrame, "view">;
type ChangeListener<View> = (view: View | null, room: GameRoom<View>) => void;

/** A call waiting for its answer: one record, removed when it settles (answered, failed, timed out). */
interface Pending {
  type: string;
  /** The frame's fields, its `ref` among them: sent again as they are. */
  fields: Record<string, unknown>;
  resolve: () => void;
  reject: (error: GamePlatformError) => void;
  /** The connection (its number in `socket.opens`) the frame went out, or goes out, on. */
  connection: number;
  /** True while it waits for the next connection's `game_state` to be sent again. */
  resend: boolean;
  /** The whole call's timer (`timeoutMs`). */
  deadline: ReturnType<typeof setTimeout>;
  /** When `timeoutMs` is over, by `Date.now()`. */
  endsAt: number;
  /** The wait before sending again after an `unavailable` answer, or null. */
  retry: ReturnType<typeof setTimeout> | null;
}

/** Options of one call (`move`, `action`, `ready`, `forfeit`). */
export interface CallOptions {
  /** How long to wait for the answer, resends included, in milliseconds (default: the room's `requestTimeoutMs`). */
  timeoutMs?: number;
}

const OVER: ReadonlySet<string> = new Set(["finished", "abandoned", "aborted"]);

export interface GameRoomOptions extends SocketOptions {
  /** Watch as a spectator (`?watch=1`): the spectator view, no inputs. */
  watch?: boolean;
  /** How long a call waits for its answer, in milliseconds (default: the client's `requestTimeoutMs`, 10 s). */
  requestTimeoutMs?: number;
}

export class GameRoom<View = unknown> {
  readonly id: Id;
  readonly client: Client;
  readonly socket: Socket<GameFrames>;
  /** The latest `game_state` without its view (patches update `tick`, `turn`, `turn_deadline`). */
  game: GameInfo | null = null;
  /** My view of the game: the latest `game_state`'s `view` with every patch since applied. */
  view: View | null = null;
  /** The `game_over` frame, once the game has ended. */
  over: GameOverFrame | null = null;

  private readonly changeListeners = new Set<ChangeListener<View>>();
  private readonly pending = new Map<string, Pending>();
  private refs = 0;
  // Refs differ between rooms (a page loaded again makes a new room): the server takes a ref once.
  private readonly refTag = Math.random().toString(36).slice(2, 10);
  private readonly requestTimeoutMs: number;
  /** The connection (its number in `socket.opens`) whose `game_state` the view is built on; 0: none yet. */
  private stateOn = 0;
  /** When the turn clock runs out, by the client's clock (milliseconds), or null. */
  private deadlineAt: number | null = null;

  constructor(client: Client, id: Id, options: GameRoomOptions = {}) {
    const { watch = false, requestTimeoutMs, ...socketOptions } = options;
    this.id = id;
    this.client = client;
    this.requestTimeoutMs =
      requestTimeoutMs === undefined
        ? client.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
        : checkedTimeout(requestTimeoutMs, "gameRoom(id, { requestTimeoutMs })");
    this.socket = client.socket<GameFrames>(`/ws/game/${id}/${watch ? "?watch=1" : ""}`, socketOptions);
    this.socket.on("game_state", (frame) => this.onState(frame as GameStateFrame<View>));
    this.socket.on("state_patch", (frame) => this.onPatch(frame));
    this.socket.on("game_over", (frame) => this.onOver(frame));
    this.socket.on("ack", (frame) => this.answered(frame));
    this.socket.on("error", (error) => error.ref && this.refused(error.ref, error));
    this.socket.onClose((reason) => this.onClose(reason.reconnect));
  }

  get state(): GamePhase | null {
    return this.game?.state ?? null;
  }

  get mode(): string | null {
    return this.game?.mode ?? null;
  }

  get players(): GamePlayer[] {
    return this.game?.players ?? [];
  }

  get tick(): number | null {
    return this.game?.tick ?? null;
  }

  /** Whose turn it is (a user id), or null (real-time modes, a game not started). */
  get turn(): Id | null {
    return this.game?.turn ?? null;
  }

  get myTurn(): boolean {
    return this.state === "active" && this.turn !== null && this.turn === this.client.userId;
  }

  get status(): SocketStatus {
    return this.socket.status;
  }

  /**
   * Seconds left on the turn clock (modes with `turn_seconds`), counted down from the latest
   * frame that set it; null while no clock runs.
   */
  secondsLeft(): number | null {
    if (this.deadlineAt === null) return null;
    return Math.max(0, (this.deadlineAt - this.client.clock()) / 1000);
  }

  /** `fn(frame)` for the room's frames (`player_move`, `game_action`...), after the room took them in. */
  on: Socket<GameFrames>["on"] = (type: string, fn: (frame: any) => void) => this.socket.on(type, fn);

  /** `fn(view, room)` after every `game_state` and `state_patch`; returns an unsubscribe function. */
  onChange(fn: ChangeListener<View>): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /**
   * Resolves with the room once `test(room)` holds: at once if it does now, else after the change
   * that makes it hold. E.g. `await room.until((r) => r.myTurn || r.over !== null)`.
   */
  until(test: (room: GameRoom<View>) => boolean, { timeoutMs = 30_000 } = {}): Promise<GameRoom<View>> {
    if (test(this)) return Promise.resolve(this);
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        stopChange();
        stopClose();
        clearTimeout(timer);
      };
      const check = (): void => {
        if (!test(this)) return;
        stop();
        resolve(this);
      };
      const stopChange = this.onChange(check);
      const stopClose = this.socket.onClose((reason) => {
        if (reason.reconnect) return;
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
  async gameOver({ timeoutMs = 600_000 } = {}): Promise<GameOverFrame> {
    await this.until((room) => room.over !== null, { timeoutMs });
    return this.over!;
  }

  // --- inputs ------------------------------------------------------------------------------

  /**
   * I am ready; the game starts once every player is. Each call below resolves once the server took
   * its frame, or rejects with a `GamePlatformError`: the `error` the server refused it with,
   * `timeout` past `timeoutMs`, `disconnected` when the socket closed for good before the answer.
   */
  ready(options: CallOptions = {}): Promise<void> {
    return this.request("player_ready", {}, options);
  }

  /** A turn-based move (`player_move {movement}`); resolves with my view once the server took it. */
  async move(movement: unknown, options: CallOptions = {}): Promise<View | null> {
    await this.request("player_move", { movement }, options);
    return this.view;
  }

  /** A mode's action (`game_action {action, data}`); resolves with my view once the server took it. */
  async action(action: string, data: unknown = {}, options: CallOptions = {}): Promise<View | null> {
    await this.request("game_action", { action, data }, options);
    return this.view;
  }

  /**
   * A real-time input (`input {data}`), fire and forget: its effect comes in a later patch; a
   * refusal (`rate_limited`, `invalid`) reaches `on("error")`.
   */
  send(data: unknown): SendResult {
    return this.socket.send("input", { data });
  }

  forfeit(options: CallOptions = {}): Promise<void> {
    return this.request("forfeit", {}, options);
  }

  close(): void {
    this.socket.close();
  }

  /** Calls still waiting for their answer. */
  get waiting(): number {
    return this.pending.size;
  }

  private request(type: string, fields: Record<string, unknown>, options: CallOptions): Promise<void> {
    let timeoutMs = this.requestTimeoutMs;
    try {
      if (options.timeoutMs !== undefined) timeoutMs = checkedTimeout(options.timeoutMs, `${type} { timeoutMs }`);
    } catch (error) {
      return Promise.reject(error);
    }
    this.refs += 1;
    const ref = `${type}-${this.refTag}-${this.refs}`;
    return new Promise((resolve, reject) => {
      const detail = `no answer to ${type} within ${timeoutMs} ms`;
      const deadline = setTimeout(() => this.fail(ref, new GamePlatformError({ status: 0, code: "timeout", detail, ref })), timeoutMs);
      const pending: Pending = {
        type,
        fields: { ...fields, ref },
        resolve,
        reject,
        connection: 0,
        resend: false,
        deadline,
        endsAt: Date.now() + timeoutMs,
        retry: null,
      };
      this.pending.set(ref, pending);
      const result = this.socket.send(type, pending.fields);
      if (result === "dropped") {
        this.fail(ref, new GamePlatformError({ status: 0, code: "socket_closed", detail: "the game's socket is closed", ref }));
        return;
      }
      pending.connection = result === "sent" ? this.socket.opens : this.socket.opens + 1;
    });
  }

  /** Sends a pending frame again (same ref) if this connection has its `game_state`; else at the next one. */
  private sendAgain(pending: Pending): void {
    if (!this.socket.isOpen || this.stateOn !== this.socket.opens) {
      pending.resend = true;
      return;
    }
    pending.resend = false;
    // Marked as sent again: a frame the server took already is answered `duplicate`, not applied twice.
    this.socket.send(pending.type, { ...pending.fields, resent: true });
    pending.connection = this.socket.opens;
  }

  private answered(frame: AckFrame): void {
    // `duplicate: true`: the server had taken this ref already (the frame was sent again after a
    // reconnect): taken all the same.
    const pending = this.settle(frame.ref);
    pending?.resolve();
  }

  private refused(ref: string, error: GamePlatformError): void {
    const pending = this.pending.get(ref);
    if (!pending) return;
    if (error.code === "unavailable") {
      // The game's room is moving between server processes: the same frame again once it has.
      const wait = error.retryAfter !== null && error.retryAfter >= 0 ? error.retryAfter * 1000 : UNAVAILABLE_RETRY_MS;
      if (Date.now() + wait < pending.endsAt) {
        if (pending.retry) clearTimeout(pending.retry);
        pending.retry = setTimeout(() => {
          pending.retry = null;
          if (this.pending.get(ref) === pending) this.sendAgain(pending);
        }, wait);
        return;
      }
    }
    this.fail(ref, error);
  }

  private fail(ref: string, error: GamePlatformError): void {
    this.settle(ref)?.reject(error);
  }

  /** The pending call of `ref`, taken out with its timers stopped; undefined when none waits. */
  private settle(ref: string): Pending | undefined {
    const pending = this.pending.get(ref);
    if (!pending) return undefined;
    this.pending.delete(ref);
    clearTimeout(pending.deadline);
    if (pending.retry) clearTimeout(pending.retry);
    return pending;
  }

  // A frame that went out on a connection now gone may or may not have been taken: it is sent
  // again once the next connection has its game_state (a ref the server took is not applied
  // twice). Frames still queued go out on the next connection. A socket closed for good fails them.
  private onClose(comesBack: boolean): void {
    for (const [ref, pending] of this.pending) {
      if (!comesBack) {
        const detail = "the connection closed before the server answered; the frame may or may not have been taken";
        this.fail(ref, new GamePlatformError({ status: 0, code: "disconnected", detail, ref }));
      } else if (pending.retry === null && pending.connection <= this.socket.opens) {
        pending.resend = true;
      }
    }
  }

  // --- what the server sends ---------------------------------------------------------------

  // Every connection's first game_state replaces the view whole (patches meanwhile were not
  // applied: they follow a view this client may not have); the calls waiting for it go out again.
  private onState(frame: GameStateFrame<View>): void {
    const { view, ...game } = frame;
    this.stateOn = this.socket.opens;
    // The server sends a game_state after the patch of the same step: no second onChange for it.
    const same = this.game !== null && JSON.stringify([this.game, this.view]) === JSON.stringify([game, view ?? null]);
    this.game = game;
    this.view = view ?? null;
    this.setClock(game.turn_deadline);
    if (OVER.has(game.state) && !this.over) {
      this.over = { type: "game_over", winner_id: game.winner_id, reason: game.reason ?? game.state };
    }
    if (!same) this.changed();
    for (const pending of [...this.pending.values()]) if (pending.resend) this.sendAgain(pending);
  }

  private onPatch(frame: StatePatchFrame): void {
    // A game_state comes first on every connection: a patch before it is on a view not had here.
    if (!this.game || this.stateOn !== this.socket.opens) return;
    try {
      this.view = applyPatch<View>(this.view, frame.ops ?? []);
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      // It never should; the server's fresh game_state on a new connection puts the view right.
      this.game = null;
      this.socket.reconnect();
      return;
    }
    if ("turn_deadline" in frame) this.setClock(frame.turn_deadline);
    this.game = {
      ...this.game,
      tick: frame.tick ?? this.game.tick,
      ...("turn" in frame ? { turn: frame.turn ?? null } : {}),
      ...("turn_deadline" in frame ? { turn_deadline: frame.turn_deadline ?? null } : {}),
    };
    this.changed();
  }

  // `turn_deadline` is the seconds left when the frame was sent: the clock starts on arrival.
  private setClock(seconds: number | null | undefined): void {
    this.deadlineAt = typeof seconds === "number" ? this.client.clock() + seconds * 1000 : null;
  }

  private onOver(frame: GameOverFrame): void {
    this.over = frame;
    this.changed();
  }

  private changed(): void {
    for (const fn of this.changeListeners) {
      try {
        fn(this.view, this);
      } catch (error) {
        console.error("gameplatform: an onChange listener threw", error);
      }
    }
  }
}
