import { HeraldError } from '@herald/protocol';

/**
 * Apps whose publishes the shared Redis charge refused: later publishes of the app in the same window are
 * refused in this process with the same 429, without a Redis round trip. A tenant flooding at many times
 * its rate then costs Redis, which every tenant shares, one script per process per second instead of one
 * per request. Exact for the rate: within a second the shared counter only grows, so every later publish
 * of that second would be refused anyway. A quota refusal is remembered for one second, so a plan change
 * or a new day applies within a second.
 */
export class RefusedApps {
  private readonly refusals = new Map<string, { until: number; error: HeraldError }>();

  /** Throws the remembered 429 while the app's refusal window lasts. */
  check(appId: string, now: number): void {
    const r = this.refusals.get(appId);
    if (r === undefined) return;
    if (now < r.until) throw r.error;
    this.refusals.delete(appId);
  }

  /** Remembers a rate or quota refusal (any other error is ignored). */
  remember(appId: string, error: unknown, now: number): void {
    if (!(error instanceof HeraldError)) return;
    const until = error.reason === 'rate_limited' ? (Math.floor(now / 1000) + 1) * 1000 : error.reason === 'quota_exceeded' ? now + 1000 : 0;
    if (until === 0) return;
    if (this.refusals.size >= MAX_REMEMBERED) this.forgetExpired(now);
    this.refusals.set(appId, { until, error });
  }

  private forgetExpired(now: number): void {
    for (const [appId, r] of this.refusals) if (r.until <= now) this.refusals.delete(appId);
    // Still full (an attack spread over very many apps): start over rather than grow.
    if (this.refusals.size >= MAX_REMEMBERED) this.refusals.clear();
  }
}

const MAX_REMEMBERED = 10_000;
