/**
 * The per-user socket (`/ws/notifications/`) that never loses a `match_found`: each time it
 * opens (the first time and after every reconnection) it asks `GET /api/matchmaking/status/`,
 * and a match it has not reported yet is reported then, marked `replayed: true`. A match found
 * while the socket was away, or before it first opened (a page that queued first), or in a
 * previous life of the page (a reload: the game still running) reaches `on("match_found")` all the
 * same, and each game id is reported once.
 */
import type { Client } from "./client.js";
import { GamePlatformError } from "./errors.js";
import { isSanctionNotification, type MatchFoundFrame, type NotificationFrames, type SanctionNotificationFrame } from "./frames.js";
import type { Socket, SocketOptions } from "./socket.js";
import type { Id } from "./types.js";

type MatchListener = (frame: MatchFoundFrame) => void;

export class Notifications {
  readonly socket: Socket<NotificationFrames>;
  private readonly client: Client;
  private readonly reported = new Set<Id>();
  private readonly matchListeners = new Set<MatchListener>();

  constructor(client: Client, options: SocketOptions = {}) {
    this.client = client;
    this.socket = client.socket<NotificationFrames>("/ws/notifications/", options);
    this.socket.on("match_found", (frame) => this.report(frame.game_id, false));
    this.socket.onOpen(() => void this.askForMatch());
  }

  /** `fn(frame)` for the socket's frames; `match_found` comes once per game, live or replayed. */
  on: Socket<NotificationFrames>["on"] = (type: string, fn: (frame: any) => void) => {
    if (type !== "match_found") return this.socket.on(type, fn);
    this.matchListeners.add(fn);
    return () => this.matchListeners.delete(fn);
  };

  /**
   * `fn(frame)` for each `sanction` notification: a sanction imposed on me (`payload.event`
   * `"imposed"`), lifted by staff (`"lifted"`, its `lift_statement` saying why) or my appeal of
   * one decided (`"appeal_decided"`), with its `statement` and end.
   */
  onSanction(fn: (frame: SanctionNotificationFrame) => void): () => void {
    return this.socket.on("notification", (frame) => {
      if (isSanctionNotification(frame)) fn(frame as SanctionNotificationFrame);
    });
  }

  /** The next match reported from now on (live or replayed); rejects with `timeout` after `timeoutMs`. */
  nextMatch({ timeoutMs = 60_000 } = {}): Promise<MatchFoundFrame> {
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

  close(): void {
    this.socket.close();
  }

  /** Reports a match the SDK learnt of another way (a queue join answered `matched`). */
  report(gameId: Id, replayed: boolean): void {
    if (this.reported.has(gameId)) return;
    this.reported.add(gameId);
    const frame: MatchFoundFrame = { type: "match_found", game_id: gameId, ...(replayed ? { replayed } : {}) };
    for (const fn of this.matchListeners) {
      try {
        fn(frame);
      } catch (error) {
        console.error("gameplatform: a match_found listener threw", error);
      }
    }
  }

  private async askForMatch(): Promise<void> {
    try {
      const status = await this.client.matchmaking.status();
      if (status.status === "matched" && status.game_id !== null) this.report(status.game_id, true);
    } catch {
      // The next open asks again; a live match_found needs no answer from here.
    }
  }
}
