/**
 * A game's socket (`/ws/game/{id}/`) kept as a room: the latest `game_state` (`game`), my `view`
 * with every `state_patch` applied in order, `onChange`, and the inputs. Moves, actions, ready
 * and forfeit carry a `ref` and resolve when the server's `ack` for it arrives (the patches of
 * that step came first, so `view` already shows it), or reject with the `error` it refused them
 * with. What is sent before the socket opens is queued: `ready()` right after `gameRoom(id)` works.
 */
import type { Client } from "./client.js";
import { GamePlatformError } from "./errors.js";
import type { GameFrames, GameOverFrame, GamePlayer, GameStateFrame, StatePatchFrame } from "./frames.js";
import { applyPatch, PatchError } from "./patch.js";
import type { SendResult, Socket, SocketOptions, SocketStatus } from "./socket.js";
import type { GamePhase, Id } from "./types.js";

export type GameInfo = Omit<GameStateFrame, "view">;
type ChangeListener<View> = (view: View | null, room: GameRoom<View>) => void;

interface Pending {
  resolve: () => void;
  reject: (error: GamePlatformError) => void;
  /** The connection (its number in `socket.opens`) the frame goes out on. */
  connection: number;
}

const OVER: ReadonlySet<string> = new Set(["finished", "abandoned", "aborted"]);

export interface GameRoomOptions extends SocketOptions {
  /** Watch as a spectator (`?watch=1`): the spectator view, no inputs. */
  watch?: boolean;
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
  /** When the turn clock runs out, by the client's clock (milliseconds), or null. */
  private deadlineAt: number | null = null;

  constructor(client: Client, id: Id, options: GameRoomOptions = {}) {
    const { watch = false, ...socketOptions } = options;
    this.id = id;
    this.client = client;
    this.socket = client.socket<GameFrames>(`/ws/game/${id}/${watch ? "?watch=1" : ""}`, socketOptions);
    this.socket.on("game_state", (frame) => this.onState(frame as GameStateFrame<View>));
    this.socket.on("state_patch", (frame) => this.onPatch(frame));
    this.socket.on("game_over", (frame) => this.onOver(frame));
    this.socket.on("ack", (frame) => this.settle(frame.ref, null));
    this.socket.on("error", (error) => error.ref && this.settle(error.ref, error));
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

  /** I am ready; the game starts once every player is. */
  ready(): Promise<void> {
    return this.request("player_ready");
  }

  /** A turn-based move (`player_move {movement}`); resolves with my view once the server took it. */
  async move(movement: unknown): Promise<View | null> {
    await this.request("player_move", { movement });
    return this.view;
  }

  /** A mode's action (`game_action {action, data}`); resolves with my view once the server took it. */
  async action(action: string, data: unknown = {}): Promise<View | null> {
    await this.request("game_action", { action, data });
    return this.view;
  }

  /**
   * A real-time input (`input {data}`), fire and forget: its effect comes in a later patch; a
   * refusal (`rate_limited`, `invalid`) reaches `on("error")`.
   */
  send(data: unknown): SendResult {
    return this.socket.send("input", { data });
  }

  forfeit(): Promise<void> {
    return this.request("forfeit");
  }

  close(): void {
    this.socket.close();
  }

  private request(type: string, fields: Record<string, unknown> = {}): Promise<void> {
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

  private settle(ref: string, error: GamePlatformError | null): void {
    const pending = this.pending.get(ref);
    if (!pending) return;
    this.pending.delete(ref);
    if (error) pending.reject(error);
    else pending.resolve();
  }

  // A frame that went out on a connection now gone may or may not have been taken: say so,
  // rather than wait forever. Frames still queued go out on the next connection.
  private onClose(comesBack: boolean): void {
    for (const [ref, pending] of this.pending) {
      if (comesBack && pending.connection > this.socket.opens) continue;
      this.pending.delete(ref);
      const detail = "the connection closed before the server answered; the frame may or may not have been taken";
      pending.reject(new GamePlatformError({ status: 0, code: "disconnected", detail }));
    }
  }

  // --- what the server sends ---------------------------------------------------------------

  private onState(frame: GameStateFrame<View>): void {
    const { view, ...game } = frame;
    // The server sends a game_state after the patch of the same step: no second onChange for it.
    const same = this.game !== null && JSON.stringify([this.game, this.view]) === JSON.stringify([game, view ?? null]);
    this.game = game;
    this.view = view ?? null;
    this.setClock(game.turn_deadline);
    if (OVER.has(game.state) && !this.over) {
      this.over = { type: "game_over", winner_id: game.winner_id, reason: game.reason ?? game.state };
    }
    if (!same) this.changed();
  }

  private onPatch(frame: StatePatchFrame): void {
    if (!this.game) return; // a game_state comes first on every connection
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
