/**
 * The session: an access token and a refresh token (JWTs), kept in a storage so that a page
 * reload or a restarted bot comes back logged in. Browsers default to `localStorage`, other
 * runtimes to memory; anything with `getItem` / `setItem` / `removeItem` will do.
 */
export interface Tokens {
  access: string;
  refresh: string;
}

/** The part of the Web Storage API the session uses (`localStorage`, `sessionStorage`, or yours). */
export interface SessionStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** A storage that lives as long as the process (the default outside browsers). */
export class MemoryStorage implements SessionStorage {
  private readonly items = new Map<string, string>();

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** `localStorage` where there is one (a browser page), else a new `MemoryStorage`. */
export function defaultStorage(): SessionStorage {
  try {
    const local = (globalThis as { localStorage?: SessionStorage }).localStorage;
    if (local) return local;
  } catch {
    // A page whose storage is blocked (privacy settings) throws on access: fall back to memory.
  }
  return new MemoryStorage();
}

// The browser SDK's key and shape ({access, refresh}): a page moving to this package stays logged in.
export const DEFAULT_STORAGE_KEY = "gameplatform.auth";

export function readTokens(storage: SessionStorage, key: string): Tokens | null {
  try {
    const value: unknown = JSON.parse(storage.getItem(key) ?? "null");
    if (value && typeof value === "object") {
      const { access, refresh } = value as Record<string, unknown>;
      if (typeof access === "string" && typeof refresh === "string") return { access, refresh };
    }
  } catch {
    // A value another program wrote: no session.
  }
  return null;
}

export function writeTokens(storage: SessionStorage, key: string, tokens: Tokens | null): void {
  if (tokens) storage.setItem(key, JSON.stringify({ access: tokens.access, refresh: tokens.refresh }));
  else storage.removeItem(key);
}

/** A JWT's claims, unverified (the server verifies); null when it is not a JWT. */
export function tokenClaims(token: string): Record<string, unknown> | null {
  try {
    const part = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const text = atob(part + "=".repeat((4 - (part.length % 4)) % 4));
    const claims: unknown = JSON.parse(text);
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The user id an access token is for (the `user_id` claim), or null. */
export function tokenUserId(token: string): number | null {
  const id = Number(tokenClaims(token)?.user_id);
  return Number.isInteger(id) ? id : null;
}

/**
 * When to refresh an access token, in milliseconds since the epoch: `marginS` seconds before it
 * expires, or a quarter of its lifetime before for tokens that live less than four margins;
 * null when it has no `exp`.
 */
export function refreshDueAt(token: string, marginS = 60): number | null {
  const claims = tokenClaims(token);
  const exp = typeof claims?.exp === "number" ? claims.exp : null;
  if (exp === null) return null;
  const iat = typeof claims?.iat === "number" ? claims.iat : null;
  const lifetime = iat === null ? marginS * 4 : exp - iat;
  return (exp - Math.min(marginS, lifetime / 4)) * 1000;
}
