import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@herald/config';
import { OBSERVABILITY_LOGGER } from './observability-logger.js';

/** A dependency check: resolves when the dependency answered, rejects (or hangs) when it did not. */
export type Probe = () => Promise<unknown>;
export type CheckResult = 'ok' | 'timeout' | 'error';

/** Injection tokens, so the readiness logic is tested with fake probes instead of Postgres and Redis. */
export const READINESS_PROBES = Symbol('HERALD_READINESS_PROBES');
export const READINESS_TIMEOUT_MS = Symbol('HERALD_READINESS_TIMEOUT_MS');

export type ReadinessReport =
  | { status: 'ready'; checks: Record<string, CheckResult> }
  | { status: 'unready'; checks: Record<string, CheckResult> }
  | { status: 'draining' };

/** Settles with the probe's outcome, or 'timeout' after `ms`: an orchestrator's probe must never hang. */
export async function probeWithin(probe: () => Promise<unknown>, ms: number): Promise<{ result: CheckResult; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ result: CheckResult }>((resolve) => {
    timer = setTimeout(() => resolve({ result: 'timeout' }), ms);
  });
  const answered = probe().then(
    () => ({ result: 'ok' as const }),
    (e: unknown) => ({ result: 'error' as const, error: e instanceof Error ? e.message : String(e) }),
  );
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness of the process: every dependency answers within the timeout, and the process is not draining.
 * Liveness (/health) deliberately ignores dependencies: restarting a process does not bring Redis back.
 */
@Injectable()
export class Readiness implements BeforeApplicationShutdown {
  private draining = false;
  /** One call per dependency in flight: a hung dependency and a tight probe period must not pile up calls. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private lastFailure = '';

  constructor(
    @Inject(READINESS_PROBES) private readonly probes: Record<string, Probe>,
    @Inject(READINESS_TIMEOUT_MS) private readonly timeoutMs: number,
    @Inject(OBSERVABILITY_LOGGER) private readonly logger: Logger,
  ) {}

  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on /ready answers 503 so load balancers stop routing here; never reverts. */
  startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.logger.info('draining: /ready now answers 503');
  }

  /** Nest calls this on SIGTERM (enableShutdownHooks) before the HTTP server closes. */
  beforeApplicationShutdown(): void {
    this.startDraining();
  }

  async check(): Promise<ReadinessReport> {
    if (this.draining) return { status: 'draining' };
    const names = Object.keys(this.probes);
    const outcomes = await Promise.all(names.map((name) => probeWithin(() => this.once(name), this.timeoutMs)));
    const checks: Record<string, CheckResult> = {};
    const failures: Record<string, string> = {};
    names.forEach((name, i) => {
      checks[name] = outcomes[i].result;
      if (outcomes[i].result !== 'ok') failures[name] = outcomes[i].error ?? outcomes[i].result;
    });
    this.logTransition(failures);
    // Draining may have begun while the probes ran.
    if (this.draining) return { status: 'draining' };
    return { status: Object.keys(failures).length ? 'unready' : 'ready', checks };
  }

  private once(name: string): Promise<unknown> {
    const running = this.inFlight.get(name);
    if (running) return running;
    const p = this.probes[name]().finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }

  /** Error details go to the log, not the unauthenticated response; logged on change, not every probe. */
  private logTransition(failures: Record<string, string>): void {
    const key = JSON.stringify(failures);
    if (key === this.lastFailure) return;
    const was = this.lastFailure;
    this.lastFailure = key;
    if (key !== '{}') this.logger.warn({ failures, timeoutMs: this.timeoutMs }, 'not ready');
    else if (was) this.logger.info('ready again');
  }
}
