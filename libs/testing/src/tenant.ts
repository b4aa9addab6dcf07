import { randomBytes } from 'node:crypto';

export interface Tenant {
  token: string;
  appId: string;
  commonKey: string;
  subscribeKey: string;
  secret: string;
}

async function call<T>(url: string, init: RequestInit & { json?: unknown; bearer?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
  const r = await fetch(url, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Signs up a fresh account and creates an app through the real API: each test its own tenant. */
export async function createTenant(apiUrl: string, app: { planId?: string; historySize?: number; historyTtlSeconds?: number; allowedOrigins?: string[] } = {}): Promise<Tenant> {
  const email = `t-${randomBytes(6).toString('hex')}@test.herald`;
  const { token } = await call<{ token: string }>(`${apiUrl}/v1/accounts`, { method: 'POST', json: { email, password: 'password-123' } });
  const created = await call<{ id: string; keys: { common: string; subscribe: string; secret: string } }>(`${apiUrl}/v1/apps`, {
    method: 'POST',
    bearer: token,
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
  return call<PublishReply>(`${apiUrl}/v1/publish`, { method: 'POST', bearer: secret, json: body });
}
