import { environment, loadConfig } from '@herald/config';
import { startApp, uniquePrefix, type AppName, type RunningApp } from './processes.js';
import { dropRedisPrefix } from './redis-cleanup.js';

export interface StackOptions {
  /** How many gateways to start (default 1; 0 for tests of the API alone). */
  gateways?: number;
  /** How many workers to start (default 1). */
  workers?: number;
  /** Extra environment for every process (short timings, a test Redis…). */
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /**
   * Start the gateways first and give the API the first one's URL as HERALD_PUBLIC_GATEWAY_URL (what
   * `GET /v1/config` tells browsers), for tests of the dashboard; otherwise everything starts at once.
   */
  publicGatewayUrl?: boolean;
  /**
   * `defaults`: every timing, limit and the log level as `npm start` has them (benchmarks measure the
   * default configuration); `test` (default): the short TEST_TIMINGS.
   */
  timings?: 'test' | 'defaults';
  /** Node flags per kind of process (profiling: e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  execArgv?: Partial<Record<AppName, string[]>>;
  /** How long each process may take to answer /health (default startApp's; a busy machine needs more). */
  startTimeoutMs?: number;
}

export interface Stack {
  env: Record<string, string>;
  api: RunningApp;
  gateways: RunningApp[];
  workers: RunningApp[];
  apiUrl: string;
  /** The stack's own Redis key prefix (HERALD_REDIS_PREFIX). */
  prefix: string;
  /** ws://…/ws of the n-th gateway. */
  wsUrl(n?: number): string;
  startWorker(env?: Record<string, string>): Promise<RunningApp>;
  startGateway(): Promise<RunningApp>;
  /** Kills every process, then deletes the stack's Redis keys (only when the prefix is its own). */
  stop(): Promise<void>;
}

/** Short timings for tests; every one is a configuration variable (libs/config). */
export const TEST_TIMINGS: Record<string, string> = {
  HERALD_LOG_LEVEL: environment().HERALD_LOG_LEVEL ?? 'warn',
  HERALD_KEY_CACHE_MS: '500',
  HERALD_PING_INTERVAL_MS: '2000',
  HERALD_PONG_TIMEOUT_MS: '2000',
  HERALD_STALLED_INTERVAL_MS: '1000',
  HERALD_JOB_LOCK_MS: '2000',
  HERALD_JOB_BACKOFF_MS: '50',
  HERALD_ARCHIVE_BLOCK_MS: '200',
  HERALD_STREAM_CLAIM_IDLE_MS: '3000',
  HERALD_ARCHIVE_LINGER_MS: '50',
  HERALD_WEBHOOK_CACHE_MS: '200',
  HERALD_WEBHOOK_BACKOFF_MS: '100',
  HERALD_WEBHOOK_MAX_BACKOFF_MS: '1000',
  HERALD_WEBHOOK_RETRY_PERIOD_MS: '3000',
  HERALD_WEBHOOK_TIMEOUT_MS: '1000',
  HERALD_WEBHOOK_DEFER_MS: '100',
  HERALD_WEBHOOK_CIRCUIT_COOLDOWN_MS: '1000',
  /** Tests post to local receivers; e2e/webhooks turns the SSRF guard back on to test it. */
  HERALD_WEBHOOKS_ALLOW_PRIVATE: 'true',
  HERALD_PUSH_TIMEOUT_MS: '1000',
  HERALD_PUSH_BACKOFF_MS: '100',
  HERALD_PUSH_MAX_BACKOFF_MS: '1000',
  HERALD_PUSH_DEFER_MS: '100',
  HERALD_PUSH_CIRCUIT_COOLDOWN_MS: '1000',
  HERALD_OCCUPANCY_LEASE_MS: '1500',
  HERALD_OCCUPANCY_LINGER_MS: '100',
  HERALD_USAGE_ROLLUP_MS: '500',
  /** Every test signs up its tenants from 127.0.0.1; e2e/login-limits tests the default-sized limits. */
  HERALD_SIGNUP_ADDRESS_ATTEMPTS: '100000',
  HERALD_LOGIN_ADDRESS_ATTEMPTS: '100000',
};

/** API + gateways + workers as real processes on free ports, sharing a Redis prefix of their own. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const ownPrefix = uniquePrefix();
  // MQTT over TCP on a free port per gateway (gateway.listening('mqtt')): 1883 belongs to no test.
  const env: Record<string, string> = { ...(opts.timings === 'defaults' ? {} : TEST_TIMINGS), MQTT_PORT: '0', HERALD_REDIS_PREFIX: ownPrefix, ...opts.env };
  // A test that gives its own Redis (REDIS_URL, e.g. one it kills) means that one, also when the whole
  // run is on a cluster (`npm test -- --redis-cluster` sets REDIS_CLUSTER_NODES, which would win).
  if (opts.env?.REDIS_URL && opts.env.REDIS_CLUSTER_NODES === undefined) env.REDIS_CLUSTER_NODES = '';
  const prefix = env.HERALD_REDIS_PREFIX;
  // A prefix passed in by the test (e.g. shared by two stacks) is the test's to clean up, not ours.
  const cleanup = async () => {
    if (prefix === ownPrefix) await dropRedisPrefix(loadConfig({ ...environment(), ...env }), prefix);
  };
  const started: RunningApp[] = [];
  const track = async (p: Promise<RunningApp>) => {
    const app = await p;
    started.push(app);
    return app;
  };
  // Every start settles before anything is judged, so a failed one never leaves the others running.
  const all = async (starts: Array<Promise<RunningApp>>) => {
    const settled = await Promise.allSettled(starts);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<RunningApp>).value);
  };
  try {
    const startGateways = () => Array.from({ length: opts.gateways ?? 1 }, () => track(startApp('gateway', env, opts.startTimeoutMs, opts.execArgv?.gateway)));
    const startWorkers = () => Array.from({ length: opts.workers ?? 1 }, () => track(startApp('worker', { ...env, ...opts.workerEnv }, opts.startTimeoutMs, opts.execArgv?.worker)));
    let api: RunningApp;
    let gateways: RunningApp[];
    let workers: RunningApp[];
    if (opts.publicGatewayUrl) {
      gateways = await all(startGateways());
      const apiEnv = gateways[0] ? { ...env, HERALD_PUBLIC_GATEWAY_URL: gateways[0].url } : env;
      [api, ...workers] = await all([track(startApp('api', apiEnv, opts.startTimeoutMs, opts.execArgv?.api)), ...startWorkers()]);
    } else {
      const started = await all([track(startApp('api', env, opts.startTimeoutMs, opts.execArgv?.api)), ...startGateways(), ...startWorkers()]);
      api = started[0];
      gateways = started.filter((a) => a.name === 'gateway');
      workers = started.filter((a) => a.name === 'worker');
    }
    return {
      env,
      api,
      gateways,
      workers,
      apiUrl: api.url,
      prefix,
      wsUrl: (n = 0) => {
        if (!gateways[n]) throw new Error(`no gateway #${n} in this stack (${gateways.length} started)`);
        return `${gateways[n].url.replace('http', 'ws')}/ws`;
      },
      startWorker: async (extra = {}) => {
        const w = await track(startApp('worker', { ...env, ...opts.workerEnv, ...extra }, opts.startTimeoutMs, opts.execArgv?.worker));
        workers.push(w);
        return w;
      },
      startGateway: async () => {
        const g = await track(startApp('gateway', env, opts.startTimeoutMs, opts.execArgv?.gateway));
        gateways.push(g);
        return g;
      },
      stop: async () => {
        await Promise.all(started.map((a) => a.stop('SIGKILL')));
        await cleanup();
      },
    };
  } catch (e) {
    await Promise.all(started.map((a) => a.stop('SIGKILL')));
    await cleanup();
    throw e;
  }
}
