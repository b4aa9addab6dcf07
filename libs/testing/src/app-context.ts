import type { AppContext } from '@herald/db';

type App = AppContext['app'];
type Plan = App['plan'];

/** A generous plan for tests that drive the services directly; override what a test is about. */
const TEST_PLAN: Plan = {
  id: 'demo',
  name: 'Demo',
  maxConnections: 10,
  maxMessagesPerDay: null,
  maxPublishesPerSecond: 100_000,
  maxPayloadBytes: 65536,
  historySize: 1000,
  historyTtlSeconds: 3600,
  maxChannelsPerConnection: 10,
  anyOrigin: true,
  maxScheduleDelaySeconds: 86400,
  archiveRetentionDays: 30,
  maxScheduledPending: 1000,
  maxWebhooks: 10,
  maxClientEventsPerSecond: 10,
  maxPusherBatchEvents: 10,
  maxPushSubscriptions: 10000,
};

/**
 * An app's context as the key guard builds it, without a database row: for integration tests that call
 * the publish path, the channel hub or the limits directly. The app's history window follows its plan's.
 */
export function testAppContext(appId: string, opts: { plan?: Partial<Plan>; keyKind?: AppContext['keyKind'] } = {}): AppContext {
  const plan = { ...TEST_PLAN, ...opts.plan };
  const app: App = {
    id: appId,
    accountId: 'acc_x',
    name: appId,
    region: 'eu-west',
    status: 'active',
    allowedOrigins: [],
    privatePrefixes: ['private-'],
    clientEvents: false,
    subscriptionCount: false,
    plan,
    historySize: plan.historySize,
    historyTtlSeconds: plan.historyTtlSeconds,
    historySizeOverride: null,
    historyTtlSecondsOverride: null,
    suspendedReason: null,
    suspendedAt: null,
    createdAt: new Date(),
  };
  return { app, keyId: 'key_x', keyKind: opts.keyKind ?? 'secret' };
}
