/** Reads a JWT's `exp` (seconds) without verifying it: the server verifies, the SDK only schedules. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const json = typeof atob === 'function' ? atob(part.replace(/-/g, '+').replace(/_/g, '/')) : '';
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

export type TokenRefresher = (channel: string) => string | Promise<string>;

export interface RefreshTarget {
  readonly channel: string;
  accessToken?: string;
}

/** How long before expiry the callback runs: long enough for a server round trip. */
export const REFRESH_LEAD_MS = 60_000;

/**
 * Keeps a private channel's token fresh: `refresh` runs before the current one expires and its answer
 * is what the next (re)subscribe sends, so a reconnect after the first token's expiry still gets in.
 * A failing refresh is retried on the next schedule (and reported). Returns a stop function.
 */
export function keepTokenFresh(
  target: RefreshTarget,
  refresh: TokenRefresher,
  onError: (e: unknown) => void,
  timers: { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(t: unknown): void } = {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
  },
): () => void {
  let timer: unknown;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    const exp = target.accessToken ? tokenExpiry(target.accessToken) : undefined;
    const wait = exp === undefined ? 0 : Math.max(1_000, exp * 1000 - timers.now() - REFRESH_LEAD_MS);
    timer = timers.setTimeout(run, wait);
  };
  const run = async () => {
    try {
      const next = await refresh(target.channel);
      if (!stopped && typeof next === 'string' && next) target.accessToken = next;
    } catch (e) {
      onError(e);
    }
    schedule();
  };
  schedule();
  return () => {
    stopped = true;
    timers.clearTimeout(timer);
  };
}
