/**
 * Backoff for retries and reconnections: exponential from `baseMs`, capped at `maxMs`, with
 * jitter on part of it so that many clients dropped at once do not come back at once.
 */
export interface RetryPolicy {
  /** Attempts after the first one (REST calls); sockets keep trying whatever this says. */
  retries: number;
  /** The ceiling of the first delay, in milliseconds. */
  baseMs: number;
  /** The largest ceiling, in milliseconds. */
  maxMs: number;
  /** The share of each ceiling drawn at random: 0 none, 1 "full jitter". */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseMs: 250, maxMs: 8000, jitter: 0.5 };
export const DEFAULT_RECONNECT: RetryPolicy = { retries: Infinity, baseMs: 500, maxMs: 15000, jitter: 0.5 };

/** The delay before retry number `attempt` (0 for the first retry), in milliseconds. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return ceiling * (1 - jitter) + random() * ceiling * jitter;
}

/** Methods that may be sent twice with the effect of once (RFC 9110): only these are retried. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
