/** How a dead session is restarted: after `baseMs`, doubling per restart up to `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** A session up this long counts as healthy: the next death waits `baseMs` again. */
  stableMs: number;
}

/** 1 s doubling to 60 s, reset after 5 minutes up. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000, stableMs: 300_000 };

/** The wait before the restart that follows `restarts` consecutive restarts. */
export function backoffMs(restarts: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(options.baseMs * 2 ** Math.min(Math.max(restarts, 0), 30), options.maxMs);
}
