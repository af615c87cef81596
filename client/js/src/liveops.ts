/**
 * Live operations (`/api/liveops/`): what the studio changes without a deploy. `refresh()` asks
 * `GET /api/liveops/` with the last answer's `ETag` (a 304 keeps it); `flags`, `flag(name, default)`,
 * `experiments`, `liveEvents` and `messagesUnread` read the last answer. `onChange(fn)` listens to
 * `liveops_changed` on the notification socket (and to its every reopening, which may have missed
 * one): it refreshes, then calls `fn` with the new answer when it differs.
 *
 * `track(name)` queues an analytics event with an id of its own and returns at once; the queue
 * goes out in batches of at most 100 every `flushIntervalMs`, or now with `flushEvents()`. A batch
 * that fails (the network, a 5xx, a 429) is sent again later with the same ids, so that the server
 * counts each event once; past `maxQueuedEvents` the oldest are dropped (`droppedEvents` counts them).
 */
import type { Client } from "./client.js";
import { GamePlatformError } from "./errors.js";
import type { Id, InboxClaim, InboxMessage, LiveEvent, LiveOpsAnswer, LiveOpsAttributes, TrackedEvent } from "./types.js";

export interface LiveOpsOptions {
  /** How often queued events go out, in milliseconds (default 5 000). */
  flushIntervalMs?: number;
  /** The most events kept waiting; past it the oldest are dropped (default 1 000). */
  maxQueuedEvents?: number;
  /** How long each liveops call waits for its answer, in milliseconds (default: the client's `requestTimeoutMs`). */
  timeoutMs?: number;
}

/** The server takes at most this many events a request. */
export const EVENT_BATCH_MAX = 100;

type ChangeListener = (answer: LiveOpsAnswer) => void;

const EMPTY: LiveOpsAnswer = { flags: {}, experiments: {}, live_events: [], messages_unread: 0 };

export class LiveOps {
  /** The last answer of `GET /api/liveops/` (empty before the first `refresh()`). */
  answer: LiveOpsAnswer = EMPTY;
  /** Events dropped because the queue was full, or refused by the server (a 4xx but 429). */
  droppedEvents = 0;

  private readonly client: Client;
  private readonly flushIntervalMs: number;
  private readonly maxQueued: number;
  private readonly timeoutMs: number;
  private etag: string | null = null;
  private queue: TrackedEvent[] = [];
  private flushing: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners = new Set<ChangeListener>();
  private unwatch: (() => void) | null = null;

  constructor(client: Client, { flushIntervalMs = 5_000, maxQueuedEvents = 1_000, timeoutMs }: LiveOpsOptions = {}) {
    this.client = client;
    this.flushIntervalMs = flushIntervalMs;
    this.maxQueued = maxQueuedEvents;
    this.timeoutMs = timeoutMs ?? client.requestTimeoutMs;
  }

  // --- what I see ----------------------------------------------------------------------------

  /** `GET /api/liveops/` (with `If-None-Match`: a 304 keeps the last answer); the answer now. */
  async refresh(): Promise<LiveOpsAnswer> {
    let etag: string | null = null;
    const answer = await this.call<LiveOpsAnswer | null>("GET", "/api/liveops/", {
      headers: this.etag ? { "If-None-Match": this.etag } : {},
      onResponse: (response) => {
        etag = response.headers.get("ETag");
      },
    });
    if (answer !== null) {
      this.answer = answer;
      this.etag = etag;
    }
    return this.answer;
  }

  /** `{name: value}`: every flag's value for me, as of the last `refresh()`. */
  get flags(): Record<string, unknown> {
    return this.answer.flags;
  }

  /** A flag's value, or `fallback` when the server has no such flag (or before the first `refresh()`). */
  flag<T>(name: string, fallback: T): T {
    return Object.hasOwn(this.answer.flags, name) ? (this.answer.flags[name] as T) : fallback;
  }

  /** `{key: variation}`: the experiments I am in. */
  get experiments(): Record<string, number> {
    return this.answer.experiments;
  }

  /** The live events running now for me. */
  get liveEvents(): LiveEvent[] {
    return this.answer.live_events;
  }

  /** How many messages of my liveops inbox I have not read. */
  get messagesUnread(): number {
    return this.answer.messages_unread;
  }

  /**
   * `fn(answer)` after each change the server announces (`liveops_changed`), once `refresh()` has
   * the new answer; opens the notification socket. Returns an unsubscribe.
   */
  onChange(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    this.watch();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) {
        this.unwatch?.();
        this.unwatch = null;
      }
    };
  }

  // --- what I say and do -----------------------------------------------------------------------

  /** `PUT /api/liveops/attributes/`: what my client says about itself, read by the flags' rules. */
  setAttributes({ country, platform, appVersion, custom }: LiveOpsAttributes): Promise<LiveOpsAttributes> {
    const body: Record<string, unknown> = {};
    if (country !== undefined) body.country = country;
    if (platform !== undefined) body.platform = platform;
    if (appVersion !== undefined) body.app_version = appVersion;
    if (custom !== undefined) body.custom = custom;
    return this.call("PUT", "/api/liveops/attributes/", { body });
  }

  /** Takes part in an explicit live event while it runs (409 `not_active`). */
  joinLiveEvent(id: Id): Promise<unknown> {
    return this.call("POST", `/api/liveops/live-events/${id}/join/`);
  }

  /** My liveops inbox, newest first (every page). */
  inbox(): Promise<InboxMessage[]> {
    return this.client.all<InboxMessage>("/api/liveops/messages/");
  }

  /** Marks a message of my inbox read (again: the first time is kept). */
  markRead(id: Id): Promise<InboxMessage> {
    return this.call("POST", `/api/liveops/messages/${id}/read/`);
  }

  /** Claims the gifts of a message of my inbox, once (409 `already_claimed`, 410 `expired`). */
  claim(id: Id): Promise<InboxClaim> {
    return this.call("POST", `/api/liveops/messages/${id}/claim/`);
  }

  // --- analytics ---------------------------------------------------------------------------

  /** Queues an event (sent within `flushIntervalMs`); returns its id. */
  track(name: string, { value, metadata }: { value?: number; metadata?: Record<string, unknown> } = {}): string {
    const id = newEventId();
    this.queue.push({ id, name, timestamp: new Date().toISOString(), value: value ?? null, metadata: metadata ?? {} });
    const over = this.queue.length - this.maxQueued;
    if (over > 0) {
      this.queue.splice(0, over);
      this.droppedEvents += over;
    }
    this.startTimer();
    return id;
  }

  /** Events waiting to go out. */
  get queuedEvents(): number {
    return this.queue.length;
  }

  /**
   * Sends every queued event now, in batches of at most 100; rejects with the first failure (the
   * failed batch stays queued, ids and all, for the next flush). Concurrent callers share one flush.
   */
  flushEvents(): Promise<void> {
    this.flushing ??= this.flushAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Stops the flush timer and the change listening (`client.close()` calls it); queued events stay. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unwatch?.();
    this.unwatch = null;
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, EVENT_BATCH_MAX);
      try {
        await this.call("POST", "/api/liveops/events/", { body: { events: batch } });
      } catch (error) {
        if (!refused(error)) throw error; // kept: sent again with the same ids
        this.droppedEvents += batch.length; // the server will never take these
      }
      // The queue may have dropped its oldest meanwhile: take out what is still there of the batch.
      const sent = new Set(batch.map((event) => event.id));
      this.queue = this.queue.filter((event) => !sent.has(event.id));
    }
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.queue.length > 0) this.flushEvents().catch(() => undefined); // the next tick tries again
    }, this.flushIntervalMs);
    (this.timer as { unref?: () => void }).unref?.(); // Node: a queue alone keeps no process running
  }

  private watch(): void {
    if (this.unwatch) return;
    const notifications = this.client.notifications();
    const changed = (): void => {
      this.refreshAndTell().catch(() => undefined); // the next change, or reopening, tries again
    };
    const stops = [notifications.on("liveops_changed", changed), notifications.socket.onOpen(changed)];
    this.unwatch = () => stops.forEach((stop) => stop());
  }

  private async refreshAndTell(): Promise<void> {
    const before = this.answer;
    const answer = await this.refresh();
    if (answer === before) return; // 304: nothing I see changed
    for (const fn of [...this.listeners]) {
      try {
        fn(answer);
      } catch (error) {
        console.error("gameplatform: a liveops onChange listener threw", error);
      }
    }
  }

  /** One call that gives up after `timeoutMs` (a `GamePlatformError` `timeout`). */
  private async call<T>(
    method: "GET" | "POST" | "PUT",
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; onResponse?: (response: Response) => void } = {},
  ): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return await this.client.request<T>(method, path, { ...options, signal });
    } catch (error) {
      if (signal.aborted) {
        throw new GamePlatformError({ status: 0, code: "timeout", detail: `${method} ${path}: no answer within ${this.timeoutMs} ms` });
      }
      throw error;
    }
  }
}

/** A 4xx other than 429: the same batch would be refused again. */
function refused(error: unknown): boolean {
  return error instanceof GamePlatformError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

/** A random id (a UUID where the runtime has one). */
function newEventId(): string {
  const uuid = (globalThis.crypto as { randomUUID?: () => string } | undefined)?.randomUUID;
  if (uuid) return uuid.call(globalThis.crypto);
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
