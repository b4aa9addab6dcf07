import { call, callOk, type Reply, type Stack, type Tenant, type TestSubscriber } from '@herald/testing';

export interface SubscriptionView {
  id: string;
  endpoint: string;
  channels: string[];
  userId: string | null;
}

export interface PushOverview {
  publicKey: string;
  stats: { sent: number; delivered: number; expired: number; failed: number };
  subscriptions: number;
}

export interface PushAttempt {
  id: string;
  subscriptionId: string;
  channel: string;
  messageId: string;
  origin: string;
  statusCode: number | null;
  outcome: string;
  at: string;
}

/** POST /v1/push/subscriptions as a page would: the common key in the body. */
export function subscribe(s: Stack, t: Tenant, sub: TestSubscriber | { json: unknown }, channels: unknown, extra: Record<string, unknown> = {}): Promise<Reply<SubscriptionView & { reason?: string }>> {
  return call<SubscriptionView & { reason?: string }>(s.apiUrl, 'POST', '/v1/push/subscriptions', { json: { appkey: t.commonKey, subscription: sub.json, channels, ...extra } });
}

/** A publish with the secret, carrying push (and pushMode) when given. */
export function publishPush(s: Stack, t: Tenant, body: { channel: string; message?: unknown; id?: string; push?: unknown; pushMode?: unknown }, key = t.secret): Promise<Reply<{ reason?: string; id?: string }>> {
  return call<{ reason?: string; id?: string }>(s.apiUrl, 'POST', '/v1/publish', { token: key, json: { message: { n: 1 }, ...body } });
}

export const overview = (s: Stack, t: Tenant) => callOk<PushOverview>(s.apiUrl, 'GET', `/v1/apps/${t.appId}/push`, { token: t.token });

export const subscriptionsOf = async (s: Stack, t: Tenant, q = '') =>
  (await callOk<{ subscriptions: SubscriptionView[]; nextCursor: string | null }>(s.apiUrl, 'GET', `/v1/apps/${t.appId}/push/subscriptions${q}`, { token: t.token })).subscriptions;

export const deliveryLog = async (s: Stack, t: Tenant) => (await callOk<{ attempts: PushAttempt[] }>(s.apiUrl, 'GET', `/v1/apps/${t.appId}/push/deliveries`, { token: t.token })).attempts;

/** The decrypted notification JSON. */
export const notices = (plaintexts: string[]) => plaintexts.map((p) => JSON.parse(p) as { title: string; body: string; channel: string; id: string; url?: string; icon?: string; data?: unknown });
