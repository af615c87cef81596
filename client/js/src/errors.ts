import type { Id } from "./types.js";

/**
 * Every failure the SDK reports is a `GamePlatformError`: a REST answer that is not 2xx, a network
 * failure, or an `error` frame a socket received.
 *
 * - `status`: the HTTP status; 0 for a network failure and for a socket's `error` frame.
 * - `code`: the contract's machine code (`premium_required`, `not_your_turn`, `rate_limited` ...);
 *   a validation answer (`{"field": ["message"]}`) is `invalid` with the fields in `fields`;
 *   a body without a code is `http_<status>`; no answer at all is `network_error`.
 * - `detail`: the human message the server sent.
 *
 * Two codes have a class of their own, with the fields the server sends beside them:
 * `AccountSuspended` (`account_suspended`) and `Muted` (`muted`).
 */
export class GamePlatformError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  /** Validation errors by field (`{"username": ["..."]}`), when the server sent them. */
  readonly fields: Record<string, unknown> | null;
  /** Seconds to wait before trying again, when the server said (429, 503, `rate_limited` frames). */
  readonly retryAfter: number | null;
  /** The `ref` of the client frame a socket's `error` answers. */
  readonly ref: string | null;

  constructor(init: {
    status: number;
    code: string;
    detail?: string;
    fields?: Record<string, unknown> | null;
    retryAfter?: number | null;
    ref?: string | null;
  }) {
    super(init.detail || init.code);
    this.name = "GamePlatformError";
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail || init.code;
    this.fields = init.fields ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.ref = init.ref ?? null;
  }
}

type ErrorInit = ConstructorParameters<typeof GamePlatformError>[0];

/**
 * 403 `account_suspended` (login, refresh, any call of a locked account, or the `error` frame
 * before a socket closes 4403): the account is suspended until `until`, or banned (`until` null).
 * `appealToken` lets `client.appeal(sanctionId, text, { appealToken })` appeal without a login.
 */
export class AccountSuspended extends GamePlatformError {
  /** When the suspension ends (ISO 8601), or null for a ban. */
  readonly until: string | null;
  /** Why, in the staff's words (the statement of reasons). */
  readonly statement: string;
  readonly sanctionId: Id | null;
  readonly appealToken: string | null;

  constructor(init: ErrorInit, body: Record<string, unknown> = {}) {
    super(init);
    this.name = "AccountSuspended";
    this.until = typeof body.until === "string" ? body.until : null;
    this.statement = typeof body.statement === "string" ? body.statement : "";
    this.sanctionId = typeof body.sanction_id === "number" ? body.sanction_id : null;
    this.appealToken = typeof body.appeal_token === "string" ? body.appeal_token : null;
  }

  /** True for a ban (no end). */
  get banned(): boolean {
    return this.until === null;
  }
}

/** 403 `muted` (REST) or an `error` frame `muted` (sockets): chat is refused until `until`. */
export class Muted extends GamePlatformError {
  /** When the mute ends (ISO 8601). */
  readonly until: string | null;

  constructor(init: ErrorInit, body: Record<string, unknown> = {}) {
    super(init);
    this.name = "Muted";
    this.until = typeof body.until === "string" ? body.until : null;
  }
}

/** The error for `init`: one of the coded classes above when its code is theirs. */
function coded(init: ErrorInit, body: Record<string, unknown>): GamePlatformError {
  if (init.code === "account_suspended") return new AccountSuspended(init, body);
  if (init.code === "muted") return new Muted(init, body);
  return new GamePlatformError(init);
}

/** The error an HTTP answer carries (the contract's `{detail, code}`, or DRF's field errors). */
export async function errorFromResponse(response: Response): Promise<GamePlatformError> {
  const header = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(header) && header > 0 ? header : null;
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const status = response.status;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (typeof record.detail === "string") {
      const code = typeof record.code === "string" ? record.code : `http_${status}`;
      const fields = isRecord(record.fields) ? record.fields : null;
      return coded({ status, code, detail: record.detail, fields, retryAfter }, record);
    }
    const detail = Object.entries(record)
      .map(([field, messages]) => `${field}: ${([] as unknown[]).concat(messages).join(" ")}`)
      .join("; ");
    return new GamePlatformError({ status, code: "invalid", detail, fields: record, retryAfter });
  }
  return new GamePlatformError({ status, code: `http_${status}`, detail: response.statusText, retryAfter });
}

/** The error an `error` frame carries: `{type: "error", code, message, ref?, fields?, retry_after?}`. */
export function errorFromFrame(frame: Record<string, unknown>): GamePlatformError {
  const init = {
    status: 0,
    code: typeof frame.code === "string" ? frame.code : "error",
    detail: typeof frame.message === "string" ? frame.message : "",
    fields: isRecord(frame.fields) ? frame.fields : null,
    retryAfter: typeof frame.retry_after === "number" ? frame.retry_after : null,
    ref: typeof frame.ref === "string" ? frame.ref : null,
  };
  return coded(init, frame);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
