import { environment } from '@herald/config';

/**
 * The test harness's own settings, read from the environment in this one place (`npm test -- --help`
 * lists the ones the runner passes on). Every wait a test makes is configurable here or in its stack's
 * env: short by default, longer by hand on a slow machine.
 */
export interface TestSettings {
  /**
   * How long an app may take to answer /health after its spawn (HERALD_TEST_START_TIMEOUT_MS, default
   * 30 s): on a loaded two-core CI machine four processes starting at once have taken over 20 s.
   */
  startTimeoutMs: number;
  /** This run's Redis is a cluster: REDIS_CLUSTER_NODES is set (`npm test -- --redis-cluster` sets it). */
  redisCluster: boolean;
  /** What "answers promptly" means on a loaded CI machine (HERALD_TEST_PROMPT_MS, default 1 s). */
  promptMs: number;
  /** How long the outage test keeps the only worker away (HERALD_TEST_WORKER_OUTAGE_MS, default 3 s; longer by hand). */
  workerOutageMs: number;
  /** Runs of each property-based test (HERALD_TEST_PROPERTY_RUNS, default 300). */
  propertyRuns: number;
  /** The seed a property-based test replays a failure with (HERALD_TEST_SEED; random when unset). */
  propertySeed: number | undefined;
}

/** Read on each call: cheap, and a value set before a test file's own start-up is seen. */
export function testSettings(env: NodeJS.ProcessEnv = environment()): TestSettings {
  return {
    startTimeoutMs: Number(env.HERALD_TEST_START_TIMEOUT_MS ?? 30_000),
    redisCluster: (env.REDIS_CLUSTER_NODES ?? '').trim() !== '',
    promptMs: Number(env.HERALD_TEST_PROMPT_MS ?? 1_000),
    workerOutageMs: Number(env.HERALD_TEST_WORKER_OUTAGE_MS ?? 3_000),
    propertyRuns: Number(env.HERALD_TEST_PROPERTY_RUNS ?? 300),
    propertySeed: env.HERALD_TEST_SEED ? Number(env.HERALD_TEST_SEED) : undefined,
  };
}
