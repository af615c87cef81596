/**
 * One WebSocket that stays connected. Each connection takes a fresh one-time ticket (tokens never
 * go into URLs). What is sent before the socket opens, or while it is away, is queued and sent
 * in order once it is open. A drop reconnects after an exponential backoff with jitter (4401
 * refreshes the session first), keeping every listener; a close that reconnecting cannot mend
 * (4403, 4404, 4409, 4400, a normal close) ends it, and `onClose` says which, typed. With
 * `encoding: "msgpack"` it offers the `gameplatform.msgpack` subprotocol and, once the server
 * agrees, sends and receives binary MessagePack frames: the same objects, fewer bytes. With
 * `encoding: "compact"` it offers `gameplatform.compact`: it sends MessagePack as well, and
 * receives smaller frames still, decoded into the same objects.
 */
import type { Client, WebSocketLike } from "./client.js";
import { closeReason, type CloseReason } from "./close.js";
import { decodeMessage, encodeFrame, loadMessagePack, subprotocols, type Encoding } from "./encoding.js";
import { AccountSuspended, errorFromFrame, GamePlatformError } from "./errors.js";
import type { Frame } from "./frames.js";
import { backoffDelay } from "./retry.js";

export type SocketStatus = "connecting" | "open" | "reconnecting" | "closed";
export type SendResult = "sent" | "queued" | "dropped";

export interface SocketOptions {
  /** Reconnect after a drop (default true). */
  reconnect?: boolean;
  /** Send a `ping` this often while open, in milliseconds (default 25 s; 0: never). */
  pingMs?: number;
  /** Frames kept while not open; past it the oldest are dropped (default 256). */
  maxQueue?: number;
  /** How frames travel: JSON text, or binary on a MessagePack subprotocol (default: the client's). */
  encoding?: Encoding;
}

type Listener<T> = (value: T) => void;
const OPEN = 1;
// A connection that lasted this long was a real one: the next drop starts the backoff again.
const STABLE_MS = 2000;
// The close code this client sends when it drops a connection to make a new one.
const RECONNECT_CODE = 4000;

/**
 * `Frames` maps frame types to their shapes (`GameFrames`, `NotificationFrames`); any other type
 * arrives as a plain `Frame`. `error` frames arrive at `on("error")` as `GamePlatformError`s.
 */
export class Socket<Frames extends object = Record<string, Frame>> {
  readonly client: Client;
  readonly path: string;
  /** Connections opened so far (1 after the first open; more after reconnections). */
  opens = 0;
  /** Why the last connection closed, or null while none has. */
  lastClose: CloseReason | null = null;

  private statusNow: SocketStatus = "connecting";
  private ws: WebSocketLike | null = null;
  // As JSON text, taken when sent (a later change to the fields is not sent).
  private readonly queue: string[] = [];
  private readonly listeners = new Map<string, Set<Listener<any>>>();
  private readonly openListeners = new Set<Listener<{ reconnected: boolean }>>();
  private readonly closeListeners = new Set<Listener<CloseReason>>();
  private readonly statusListeners = new Set<Listener<SocketStatus>>();
  private readonly options: Required<SocketOptions>;
  // The binary subprotocol the server agreed to on the current connection ("": it speaks JSON).
  private agreed = "";
  // The last frame of this connection when it was an `error` (the server says why before it closes).
  private lastError: GamePlatformError | null = null;
  private attempt = 0;
  private openedAt = 0;
  private closedForGood = false;
  private dropping = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;

  constructor(client: Client, path: string, options: SocketOptions = {}) {
    this.client = client;
    this.path = path;
    this.options = { reconnect: true, pingMs: 25_000, maxQueue: 256, encoding: client.encoding, ...options };
    if (!client.WebSocket) {
      const detail = "no WebSocket: pass { WebSocket } to new Client() (in Node 20: the ws package's)";
      throw new GamePlatformError({ status: 0, code: "no_websocket", detail });
    }
    // On the next turn, so that listeners added right after construction hear everything.
    queueMicrotask(() => void this.connect());
  }

  get status(): SocketStatus {
    return this.statusNow;
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN && this.statusNow === "open";
  }

  /** How this socket asked its frames to travel (`encoding`). */
  get encoding(): Encoding {
    return this.options.encoding;
  }

  /**
   * The subprotocol the server agreed to on the current connection: `"gameplatform.msgpack"` or
   * `"gameplatform.compact"` when frames travel as MessagePack, `""` for JSON (or while not open).
   */
  get protocol(): string {
    return this.isOpen ? this.agreed : "";
  }

  /** Frames waiting for the socket to open. */
  get queued(): number {
    return this.queue.length;
  }

  // --- listening ------------------------------------------------------------------------

  /** `fn(frame)` for every frame of `type` (`"*"`: every frame); returns an unsubscribe function. */
  on<K extends keyof Frames & string>(type: K, fn: Listener<Frames[K]>): () => void;
  on(type: "error", fn: Listener<GamePlatformError>): () => void;
  on(type: string, fn: Listener<Frame>): () => void;
  on(type: string, fn: Listener<any>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** `fn({reconnected})` each time a connection opens. */
  onOpen(fn: Listener<{ reconnected: boolean }>): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  /** `fn(reason)` each time a connection closes: why, and whether the socket comes back. */
  onClose(fn: Listener<CloseReason>): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** `fn(status)` on every change: connecting, open, reconnecting, closed. */
  onStatus(fn: Listener<SocketStatus>): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /**
   * The next frame of `type` (matching `match`, if given); rejects with a `GamePlatformError`
   * `timeout` after `timeoutMs`, or `socket_closed` if the socket closes for good first.
   */
  next<K extends keyof Frames & string>(type: K, options?: WaitOptions<Frames[K]>): Promise<Frames[K]>;
  next(type: string, options?: WaitOptions<Frame>): Promise<Frame>;
  next(type: string, { match, timeoutMs = 10_000 }: WaitOptions<any> = {}): Promise<any> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        stop();
        stopClose();
        clearTimeout(timer);
      };
      const stop = this.on(type, (frame: any) => {
        if (!match || match(frame)) {
          done();
          resolve(frame);
        }
      });
      const stopClose = this.onClose((reason) => {
        if (reason.reconnect) return;
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
  send(type: string, fields: Record<string, unknown> = {}): SendResult {
    if (this.closedForGood) return "dropped";
    const frame = { ...fields, type };
    if (this.isOpen) {
      this.ws!.send(encodeFrame(frame, this.agreed !== ""));
      return "sent";
    }
    this.queue.push(JSON.stringify(frame));
    if (this.queue.length > this.options.maxQueue) this.queue.shift();
    return "queued";
  }

  // --- life cycle ---------------------------------------------------------------------------

  /** Closes for good (no reconnection); `onClose` hears `byClient: true`. Queued frames are dropped. */
  close(): void {
    if (this.closedForGood) return;
    this.closedForGood = true;
    this.queue.length = 0;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= OPEN) ws.close(1000);
    this.finish(closeReason(1000, "", true));
  }

  /**
   * Drops the current connection and makes a new one at once (listeners and queue kept); the
   * server sends a socket's opening frames (a fresh `game_state`...) again.
   */
  reconnect(): void {
    if (this.closedForGood || !this.ws) return;
    this.dropping = true;
    // The `ws` package can drop the TCP connection as a network failure would; a browser closes.
    const ws = this.ws as WebSocketLike & { terminate?: () => void };
    if (typeof ws.terminate === "function") ws.terminate();
    else ws.close(RECONNECT_CODE, "reconnect");
  }

  private async connect(): Promise<void> {
    if (this.closedForGood) return;
    this.setStatus(this.opens === 0 && this.attempt === 0 ? "connecting" : "reconnecting");
    const WebSocketImpl = this.client.WebSocket!;
    let url: string;
    try {
      url = await this.url();
    } catch (error) {
      if (error instanceof GamePlatformError && error.status === 401) {
        this.closedForGood = true;
        this.finish(closeReason(4401, "not logged in"));
        return;
      }
      if (error instanceof AccountSuspended) {
        // A locked account gets no ticket: as if the server had closed the socket 4403 saying so.
        this.closedForGood = true;
        this.finish({ ...closeReason(4403, error.detail), error });
        return;
      }
      this.retryLater();
      return;
    }
    if (this.closedForGood) return;
    if (this.options.encoding !== "json") {
      try {
        await loadMessagePack();
      } catch (error) {
        // Not installed, or a page's import map does not name it: trying again cannot help.
        this.closedForGood = true;
        const detail = error instanceof Error ? error.message : String(error);
        const needs = `encoding "${this.options.encoding}" needs @msgpack/msgpack: ${detail}`;
        this.finish({ ...closeReason(1006, needs), reconnect: false });
        return;
      }
      if (this.closedForGood) return;
    }
    let ws: WebSocketLike;
    try {
      const protocols = subprotocols(this.options.encoding);
      ws = protocols.length > 0 ? new WebSocketImpl(url, protocols) : new WebSocketImpl(url);
      if (protocols.length > 0) ws.binaryType = "arraybuffer";
    } catch (error) {
      // A URL or a scheme the runtime refuses (a page on https asking for ws:): trying again cannot help.
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
      // A close event follows every error: the reconnection happens there.
    };
  }

  /** The socket's URL with a fresh one-time ticket. */
  private async url(): Promise<string> {
    const { ticket } = await this.client.wsTicket();
    const url = new URL(this.client.url(this.path));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    return url.toString();
  }

  private opened(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    this.opens += 1;
    this.openedAt = Date.now();
    this.lastError = null;
    // A server that does not know the subprotocol accepts with none: this connection speaks JSON.
    const [offered = ""] = subprotocols(this.options.encoding);
    this.agreed = offered !== "" && (ws.protocol ?? offered) === offered ? offered : "";
    const binary = this.agreed !== "";
    this.setStatus("open");
    for (const text of this.queue.splice(0)) ws.send(binary ? encodeFrame(JSON.parse(text), true) : text);
    if (this.options.pingMs > 0) {
      const ping = encodeFrame({ type: "ping" }, binary);
      this.pingTimer = setInterval(() => this.isOpen && ws.send(ping), this.options.pingMs);
      (this.pingTimer as { unref?: () => void }).unref?.();
    }
    for (const fn of this.openListeners) safely(fn, { reconnected: this.opens > 1 });
  }

  private received(ws: WebSocketLike, data: unknown): void {
    if (ws !== this.ws) return;
    let frame: unknown;
    try {
      frame = decodeMessage(data, this.agreed);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object" || typeof (frame as Frame).type !== "string") return;
    const typed = frame as Frame;
    const error = typed.type === "error" ? errorFromFrame(typed) : null;
    this.lastError = error;
    this.emit(typed.type, error ?? typed);
    if (!error) this.emit("*", typed);
  }

  private async closed(ws: WebSocketLike, code: number, reason: string): Promise<void> {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    if (Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    const dropped = this.dropping;
    this.dropping = false;
    const error = this.lastError;
    this.lastError = null;
    const told = { ...closeReason(code, reason), error };
    const why = dropped ? { ...told, reconnect: true } : told;
    const comesBack = why.reconnect && this.options.reconnect;
    this.lastClose = { ...why, reconnect: comesBack };
    if (!comesBack) {
      this.closedForGood = true;
      this.finish(this.lastClose);
      return;
    }
    for (const fn of this.closeListeners) safely(fn, this.lastClose);
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

  private retryLater(): void {
    if (this.closedForGood) return;
    this.setStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.client.reconnectPolicy);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private finish(reason: CloseReason): void {
    this.lastClose = reason;
    this.queue.length = 0;
    for (const fn of this.closeListeners) safely(fn, reason);
    this.setStatus("closed");
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
  }

  private setStatus(status: SocketStatus): void {
    if (this.statusNow === status) return;
    this.statusNow = status;
    for (const fn of this.statusListeners) safely(fn, status);
  }

  private emit(type: string, value: unknown): void {
    for (const fn of this.listeners.get(type) ?? []) safely(fn, value);
  }
}

export interface WaitOptions<T> {
  match?: (frame: T) => boolean;
  timeoutMs?: number;
}

/** A listener that throws must not stop the others, nor the socket. */
function safely<T>(fn: Listener<T>, value: T): void {
  try {
    fn(value);
  } catch (error) {
    console.error("gameplatform: a socket listener threw", error);
  }
}
