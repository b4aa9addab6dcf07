import { HeraldError } from '@herald/protocol';

/** A refusal worth trying again: Redis unreachable or failing over (503), over a rate (429), or not a HeraldError at all. */
export function isTransient(e: unknown): boolean {
  return !(e instanceof HeraldError) || e.code === 503 || e.code === 429;
}

/**
 * Runs `work` until it succeeds, a refusal is not transient, or `attempts` ran out (then the last error is
 * thrown). Waits `backoffMs` before the first retry, doubling, and at least what a refusal's Retry-After asks.
 * For work nobody else will retry, such as an MQTT Last Will; `work` must be idempotent (a fixed message id).
 */
export async function retryTransient<T>(work: () => Promise<T>, { attempts, backoffMs }: { attempts: number; backoffMs: number }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (!isTransient(e) || attempt >= attempts) throw e;
      const asked = e instanceof HeraldError && e.retryAfter ? e.retryAfter * 1000 : 0;
      await new Promise((r) => setTimeout(r, Math.max(asked, backoffMs * 2 ** (attempt - 1))));
    }
  }
}
