import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { environment, loadConfig } from '@herald/config';
import { callOk } from './http.js';

export interface Tenant {
  token: string;
  appId: string;
  commonKey: string;
  subscribeKey: string;
  secret: string;
}

/** Plans a customer may pick (migration plan_selectable); any other is assigned through the admin route. */
const SELECTABLE_PLANS = new Set(['free', 'pro']);
const operators = new Map<string, Promise<string>>();

/**
 * A session of an operator (an account made admin in Postgres, as an operator would), one per API URL,
 * in the database the apps use (DATABASE_URL, as the test runner sets it, or the configured default).
 */
export function operatorToken(apiUrl: string): Promise<string> {
  let token = operators.get(apiUrl);
  if (!token) {
    token = (async () => {
      const email = `op-${randomBytes(6).toString('hex')}@test.herald`;
      const { token: t, account } = await callOk<{ token: string; account: { id: string } }>(apiUrl, 'POST', '/v1/accounts', { json: { email, password: 'password-123' } });
      const db = new pg.Client({ connectionString: loadConfig(environment()).databaseUrl });
      await db.connect();
      try {
        await db.query(`UPDATE "Account" SET role = 'admin' WHERE id = $1`, [account.id]);
      } finally {
        await db.end();
      }
      return t;
    })();
    token.catch(() => operators.delete(apiUrl));
    operators.set(apiUrl, token);
  }
  return token;
}

/**
 * Signs up a fresh account and creates an app through the real API: each test its own tenant. A plan a
 * customer may not pick (the default, `demo`) is created on `pro` (the same history window) and moved
 * by an operator, as in production.
 */
export async function createTenant(apiUrl: string, app: { planId?: string; historySize?: number; historyTtlSeconds?: number; allowedOrigins?: string[] } = {}): Promise<Tenant> {
  const email = `t-${randomBytes(6).toString('hex')}@test.herald`;
  const { token } = await callOk<{ token: string }>(apiUrl, 'POST', '/v1/accounts', { json: { email, password: 'password-123' } });
  const planId = app.planId ?? 'demo';
  const created = await callOk<{ id: string; keys: { common: string; subscribe: string; secret: string } }>(apiUrl, 'POST', '/v1/apps', {
    token,
    json: { name: 'test app', ...app, planId: SELECTABLE_PLANS.has(planId) ? planId : 'pro' },
  });
  if (!SELECTABLE_PLANS.has(planId)) await callOk(apiUrl, 'PATCH', `/v1/admin/apps/${created.id}`, { token: await operatorToken(apiUrl), json: { planId } });
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
