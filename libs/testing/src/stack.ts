import { startApp, uniquePrefix, type RunningApp } from './processes.js';

export interface StackOptions {
  gateways?: number;
  workers?: number;
  /** Extra environment for every process (short timings, a test Redis…). */
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
}

export interface Stack {
  env: Record<string, string>;
  api: RunningApp;
  gateways: RunningApp[];
  workers: RunningApp[];
  apiUrl: string;
  /** ws://…/ws of the n-th gateway. */
  wsUrl(n?: number): string;
  startWorker(env?: Record<string, string>): Promise<RunningApp>;
  startGateway(): Promise<RunningApp>;
  stop(): Promise<void>;
}

/** Short timings for tests; every one is a configuration variable (libs/config). */
export const TEST_TIMINGS: Record<string, string> = {
  HERALD_LOG_LEVEL: process.env.HERALD_LOG_LEVEL ?? 'warn',
  HERALD_KEY_CACHE_MS: '0',
  HERALD_PING_INTERVAL_MS: '2000',
  HERALD_PONG_TIMEOUT_MS: '2000',
  HERALD_STALLED_INTERVAL_MS: '1000',
  HERALD_JOB_LOCK_MS: '2000',
  HERALD_JOB_BACKOFF_MS: '50',
  HERALD_PENDING_SWEEP_MS: '1000',
  HERALD_ARCHIVE_BLOCK_MS: '200',
};

/** API + gateways + workers as real processes on free ports, sharing a Redis prefix of their own. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const env = { ...TEST_TIMINGS, HERALD_REDIS_PREFIX: uniquePrefix(), ...opts.env };
  const started: RunningApp[] = [];
  const track = async (p: Promise<RunningApp>) => {
    const app = await p;
    started.push(app);
    return app;
  };
  try {
    const [api, ...rest] = await Promise.all([
      track(startApp('api', env)),
      ...Array.from({ length: opts.gateways ?? 1 }, () => track(startApp('gateway', env))),
      ...Array.from({ length: opts.workers ?? 1 }, () => track(startApp('worker', { ...env, ...opts.workerEnv }))),
    ]);
    const gateways = rest.filter((a) => a.name === 'gateway');
    const workers = rest.filter((a) => a.name === 'worker');
    return {
      env,
      api,
      gateways,
      workers,
      apiUrl: api.url,
      wsUrl: (n = 0) => `${gateways[n].url.replace('http', 'ws')}/ws`,
      startWorker: async (extra = {}) => {
        const w = await track(startApp('worker', { ...env, ...opts.workerEnv, ...extra }));
        workers.push(w);
        return w;
      },
      startGateway: async () => {
        const g = await track(startApp('gateway', env));
        gateways.push(g);
        return g;
      },
      stop: async () => {
        await Promise.all(started.map((a) => a.stop('SIGKILL')));
      },
    };
  } catch (e) {
    await Promise.all(started.map((a) => a.stop('SIGKILL')));
    throw e;
  }
}
