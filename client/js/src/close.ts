import type { GamePlatformError } from "./errors.js";

/**
 * Why a socket closed, for every close code the contract names, and whether coming back can help.
 * A socket reconnects by itself when `reconnect` is true; `4401` refreshes the session first.
 * Under daphne the server sends 1008 / 1009 / 1012 / 1013 as 4008 / 4009 / 4012 / 4013 (autobahn
 * refuses to send 1001-2999): both read the same here. 1012 ("service restart") is a server
 * stopping for a deploy: its games move to the other servers, and the socket comes back (through
 * the load balancer, to one of them) after the usual backoff, whose jitter spreads the clients out.
 */
export type CloseKind =
  | "normal"
  | "going_away"
  | "abnormal"
  | "policy_violation"
  | "too_large"
  | "server_error"
  | "service_restart"
  | "try_again_later"
  | "unsupported_version"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "replaced"
  | "unknown";

export interface CloseReason {
  /** The close code received (1006 when the connection dropped without one). */
  code: number;
  kind: CloseKind;
  /** The reason text the server sent, if any. */
  reason: string;
  /** True when the socket comes back by itself (it is not closed for good). */
  reconnect: boolean;
  /** True when this client closed it (`close()`). */
  byClient: boolean;
  /** What the code means, in words. */
  description: string;
  /**
   * The `error` frame the server sent right before closing, which says why (`account_suspended`:
   * an `AccountSuspended`; `kicked`...), or null. A socket of a locked account closes 4403 with one.
   */
  error?: GamePlatformError | null;
}

interface CodeMeaning {
  kind: CloseKind;
  reconnect: boolean;
  description: string;
}

const NORMAL: CodeMeaning = { kind: "normal", reconnect: false, description: "closed normally" };
const FLOODING: CodeMeaning = { kind: "policy_violation", reconnect: true, description: "policy violation (flooding)" };
const TOO_LARGE: CodeMeaning = { kind: "too_large", reconnect: true, description: "a frame was too large" };
const RESTART: CodeMeaning = {
  kind: "service_restart",
  reconnect: true,
  description: "the server is restarting (a deploy): reconnect, to another server",
};
const LATER: CodeMeaning = {
  kind: "try_again_later",
  reconnect: true,
  description: "a service the server needs is unavailable: try again later",
};

/** The contract's close codes (and the standard ones a connection meets). */
export const CLOSE_CODES: Readonly<Record<number, CodeMeaning>> = {
  1000: NORMAL,
  1001: { kind: "going_away", reconnect: true, description: "the server is going away (a restart, a deploy)" },
  1006: { kind: "abnormal", reconnect: true, description: "the connection dropped without a close frame" },
  1008: FLOODING,
  1009: TOO_LARGE,
  1011: { kind: "server_error", reconnect: true, description: "the server met an unexpected error" },
  1012: RESTART,
  1013: LATER,
  4008: FLOODING,
  4009: TOO_LARGE,
  4012: RESTART,
  4013: LATER,
  4400: { kind: "unsupported_version", reconnect: false, description: "unsupported protocol version" },
  4401: { kind: "unauthenticated", reconnect: true, description: "not authenticated, or the access token expired" },
  4403: { kind: "forbidden", reconnect: false, description: "not allowed (not a member, banned, kicked, blocked)" },
  4404: { kind: "not_found", reconnect: false, description: "no such room" },
  4409: { kind: "replaced", reconnect: false, description: "replaced by a newer connection" },
};

/** What a close code means; an unknown code is taken as a drop worth reconnecting after. */
export function closeReason(code: number, reason = "", byClient = false): CloseReason {
  const meaning = CLOSE_CODES[code] ?? { kind: "unknown", reconnect: true, description: `close code ${code}` };
  return { code, reason, byClient, ...meaning, reconnect: byClient ? false : meaning.reconnect };
}
