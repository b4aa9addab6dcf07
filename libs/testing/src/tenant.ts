import { randomBytes } from 'node:crypto';
import { callOk } from './http.js';

export interface Tenant {
  token: string;
  appId: string;
  commonKey: string;
  subscribeKey: string;
  secret: string;
}

/** Signs up a fresh account and creates an app through the real API: each test its own tenant. */
export async function createTenant(apiUrl: string, app: { planId?: string; historySize?: number; historyTtlSeconds?: number; allowedOrigins?: string[] } = {}): Promise<Tenant> {
  const email = `t-${randomBytes(6).toString('hex')}@test.herald`;
  const { token } = await callOk<{ token: string }>(apiUrl, 'POST', '/v1/accounts', { json: { email, password: 'password-123' } });
  const created = await callOk<{ id: string; keys: { common: string; subscribe: string; secret: string } }>(apiUrl, 'POST', '/v1/apps', {
    token,
    json: { name: 'test app', planId: app.planId ?? 'demo', ...app },
  });
  return { token, appId: created.id, commonKey: created.keys.common, subscribeKey: created.keys.subscribe, secret: created.keys.secret };
}

export interface PublishReply {
  id: string;
  channel: string;
  offset: number;
  epoch: string;
  duplicate: boolean;
}

/** REST publish with the app secret. */
export function restPublish(apiUrl: string, secret: string, body: { channel: string; message: unknown; id?: string }): Promise<PublishReply> {
  return callOk<PublishReply>(apiUrl, 'POST', '/v1/publish', { token: secret, json: body });
}
