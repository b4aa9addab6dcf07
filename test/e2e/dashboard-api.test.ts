import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { WsClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';

// The management endpoints the dashboard uses, against the real API, a gateway and a worker. Keys are
// re-checked every 300 ms and cached 300 ms, so a suspension lands within a second.
let stack: Stack;
let db: pg.Client;
before(async () => {
  stack = await startStack({ env: { HERALD_KEY_RECHECK_MS: '300', HERALD_KEY_CACHE_MS: '300' } });
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});
after(async () => {
  await db?.end();
  await stack?.stop();
});

interface AppView {
  id: string;
  name: string;
  region: string;
  status: string;
  plan: { id: string; name: string; historySize: number; historyTtlSeconds: number; maxConnections: number };
  history: { size: number; ttlSeconds: number };
  allowedOrigins: string[];
  privatePrefixes: string[];
  historySize: number | null;
  historyTtlSeconds: number | null;
  suspendedReason: string | null;
  suspendedAt: string | null;
}

const get = <T = Record<string, unknown>>(path: string, token?: string) => call<T>(stack.apiUrl, 'GET', path, { token });
const reasonOf = (r: { status: number; body: unknown }) => [r.status, (r.body as { reason?: string }).reason];

/** A customer made admin directly in Postgres (the role is read with every session lookup). */
async function adminTenant(): Promise<Tenant> {
  const t = await createTenant(stack.apiUrl);
  const me = await callOk<{ id: string }>(stack.apiUrl, 'GET', '/v1/me', { token: t.token });
  await db.query(`UPDATE "Account" SET role = 'admin' WHERE id = $1`, [me.id]);
  return t;
}

describe('customer endpoints', () => {
  test('me has a role; plans and config are public', async () => {
    const t = await createTenant(stack.apiUrl);
    const me = await callOk<{ role: string; email: string }>(stack.apiUrl, 'GET', '/v1/me', { token: t.token });
    assert.equal(me.role, 'customer');

    const plans = await callOk<Array<Record<string, unknown>>>(stack.apiUrl, 'GET', '/v1/plans');
    // Other test files may add plans to the shared test database: the selectable default ones must be there.
    for (const id of ['free', 'pro']) assert.ok(plans.some((p) => p.id === id), id);
    assert.ok(plans.every((p) => p.selectable === true), 'only plans a customer may pick are listed');
    const free = plans.find((p) => p.id === 'free')!;
    for (const k of ['name', 'maxConnections', 'maxMessagesPerDay', 'maxPublishesPerSecond', 'maxPayloadBytes', 'historySize', 'historyTtlSeconds', 'maxChannelsPerConnection']) assert.ok(k in free, k);

    const config = await callOk<{ gatewayUrl: string; apiUrl: string }>(stack.apiUrl, 'GET', '/v1/config');
    assert.match(config.gatewayUrl, /^https?:\/\//);
    assert.match(config.apiUrl, /^https?:\/\//);
  });

  test('customers pick only selectable plans: demo and custom plans get 403 plan_not_selectable and are not listed', async () => {
    const t = await createTenant(stack.apiUrl, { planId: 'free' });
    const custom = `custom-${Date.now().toString(36)}`;
    await db.query(
      `INSERT INTO "Plan" (id, name, "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "anyOrigin")
       VALUES ($1, 'Custom', 50000, NULL, 9000, 65536, 1000, 86400, 500, true)`,
      [custom],
    );
    for (const planId of ['demo', custom]) {
      const r = await call(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name: 'unlimited please', planId } });
      assert.deepEqual(reasonOf(r), [403, 'plan_not_selectable'], planId);
    }
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name: 'x', planId: 'gold' } })), [400, 'invalid_request']);
    const listed = (await callOk<Array<{ id: string }>>(stack.apiUrl, 'GET', '/v1/plans')).map((p) => p.id);
    assert.ok(!listed.includes('demo') && !listed.includes(custom), listed.join(','));
    assert.deepEqual((await callOk<Array<{ id: string }>>(stack.apiUrl, 'GET', '/v1/apps', { token: t.token })).length, 1, 'nothing was created');
    for (const planId of ['free', 'pro']) {
      assert.equal((await callOk<AppView>(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name: planId, planId } })).plan.id, planId);
    }

    // The operator sees every plan and assigns the others.
    const admin = await adminTenant();
    const all = await callOk<Array<{ id: string; selectable: boolean; maxMessagesPerDay: number | null }>>(stack.apiUrl, 'GET', '/v1/admin/plans', { token: admin.token });
    assert.deepEqual(all.filter((p) => ['free', 'pro', 'demo', custom].includes(p.id)).map((p) => [p.id, p.selectable]).sort(), [[custom, false], ['demo', false], ['free', true], ['pro', true]].sort());
    assert.equal(all.find((p) => p.id === 'demo')!.maxMessagesPerDay, null);
    const moved = await callOk<AppView>(stack.apiUrl, 'PATCH', `/v1/admin/apps/${t.appId}`, { token: admin.token, json: { planId: custom } });
    assert.equal(moved.plan.id, custom);
  });

  test('PATCH settings: validated against the plan, shown in the app, and applied by the gateway', async () => {
    const t = await createTenant(stack.apiUrl, { planId: 'free' });
    const path = `/v1/apps/${t.appId}`;
    const patch = (json: unknown) => call<AppView>(stack.apiUrl, 'PATCH', path, { token: t.token, json });

    const ok = await patch({ name: ' Renamed ', allowedOrigins: ['https://A.example:443', 'https://a.example'], privatePrefixes: ['secret-'], historySize: 50, historyTtlSeconds: 600 });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      [ok.body.name, ok.body.allowedOrigins, ok.body.privatePrefixes, ok.body.historySize, ok.body.historyTtlSeconds, ok.body.history, ok.body.status],
      ['Renamed', ['https://a.example'], ['secret-'], 50, 600, { size: 50, ttlSeconds: 600 }, 'active'],
    );
    assert.deepEqual([ok.body.plan.id, ok.body.plan.name, ok.body.plan.historySize], ['free', 'Free', 100]);
    assert.deepEqual((await callOk<AppView>(stack.apiUrl, 'GET', path, { token: t.token })).privatePrefixes, ['secret-']);

    // The region label: eu-west unless chosen, settable at creation and later, validated.
    assert.equal((await callOk<AppView>(stack.apiUrl, 'GET', path, { token: t.token })).region, 'eu-west');
    const created = await callOk<AppView>(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name: 'in Asia', planId: 'free', region: 'ap-southeast' } });
    assert.equal(created.region, 'ap-southeast');
    assert.equal((await patch({ region: 'us-east' })).body.region, 'us-east');
    assert.deepEqual(reasonOf(await patch({ region: 'US East!' })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'POST', '/v1/apps', { token: t.token, json: { name: 'x', region: 'x'.repeat(40) } })), [400, 'invalid_request']);

    const tooBig = await patch({ historySize: 101 });
    assert.deepEqual(reasonOf(tooBig), [400, 'invalid_request']);
    assert.match((tooBig.body as unknown as { content: string }).content, /historySize may be at most 100 on plan free/);
    assert.deepEqual(reasonOf(await patch({ historyTtlSeconds: 86_401 })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await patch({ allowedOrigins: ['https://a.example/path'] })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await patch({ privatePrefixes: [''] })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await patch({ privatePrefixes: ['has space'] })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await patch({ historySize: 0 })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await patch({ planId: 'pro' })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await patch({ status: 'active' })), [400, 'invalid_request']);

    // null = back to the plan's window.
    const cleared = await patch({ historySize: null, historyTtlSeconds: null, allowedOrigins: [] });
    assert.deepEqual([cleared.body.historySize, cleared.body.historyTtlSeconds, cleared.body.history], [null, null, { size: 100, ttlSeconds: 86_400 }]);

    // The gateway applies the new private prefixes to new connections once its key cache expires.
    await waitFor(
      async () => {
        const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
        try {
          const secret = await ws.subscribe('secret-room');
          const formerlyPrivate = await ws.subscribe('private-room');
          return secret.reason === 'token_required' && formerlyPrivate.type === 'subscribed';
        } finally {
          ws.close();
        }
      },
      { timeoutMs: 5_000, intervalMs: 200, what: 'new private prefixes on the gateway' },
    );
  });

  test('channels, presence, history and live stats of a live subscriber, read with the session', async () => {
    const t = await createTenant(stack.apiUrl);
    const ws = await WsClient.connect(stack.wsUrl(), t.commonKey, { query: { id: 'ann', data: JSON.stringify({ name: 'Ann' }) } });
    assert.equal((await ws.request({ type: 'subscribe', channel: 'room', presence: true })).type, 'subscribed');
    assert.equal((await ws.subscribe('private-ops', undefined)).reason, 'token_required');
    const base = `/v1/apps/${t.appId}`;

    type Channels = { channels: Array<{ channel: string; subscribers: number; presenceMembers: number }>; total: number };
    let seen: Channels | undefined;
    await waitFor(async () => {
      seen = await callOk<Channels>(stack.apiUrl, 'GET', `${base}/channels`, { token: t.token });
      return seen.channels.some((c) => c.channel === 'room' && c.subscribers === 1 && c.presenceMembers === 1);
    }, { timeoutMs: 5_000, what: 'room occupied with one subscriber and one member' });
    assert.deepEqual(seen!.channels.map((c) => c.channel), ['room']);

    const presence = await callOk<{ channel: string; amount: number; members: unknown[] }>(stack.apiUrl, 'GET', `${base}/channels/room/presence`, { token: t.token });
    assert.deepEqual(presence, { channel: 'room', amount: 1, members: [{ id: 'ann', data: { name: 'Ann' } }] });

    const N = 6;
    for (let i = 0; i < N; i++) await restPublish(stack.apiUrl, t.secret, { channel: 'room', message: { i } });
    await restPublish(stack.apiUrl, t.secret, { channel: 'private-ops', message: 'secret' });
    await ws.waitForMessages(N, 'room');

    type History = { channel: string; epoch: string; offset: number; messages: Array<{ offset: number; content: unknown }> };
    let history: History | undefined;
    await waitFor(async () => {
      history = await callOk<History>(stack.apiUrl, 'GET', `${base}/channels/room/history?limit=4`, { token: t.token });
      return history.offset === N;
    }, { what: 'history appended' });
    assert.deepEqual(history!.messages.map((m) => m.content), [{ i: 2 }, { i: 3 }, { i: 4 }, { i: 5 }]);
    // The owner reads private channels without the secret in the browser.
    await waitFor(async () => (await callOk<History>(stack.apiUrl, 'GET', `${base}/channels/private-ops/history`, { token: t.token })).messages.length === 1, { what: 'private history' });
    assert.deepEqual(reasonOf(await get(`${base}/channels/bad%20name/history`, t.token)), [400, 'invalid_channel']);
    assert.deepEqual(reasonOf(await get(`${base}/channels/room/history?limit=0`, t.token)), [400, 'invalid_request']);

    type Live = { at: string; connections: number; publishesPerSecond: number; deliveriesPerSecond: number };
    let live: Live | undefined;
    await waitFor(async () => {
      live = await callOk<Live>(stack.apiUrl, 'GET', `${base}/stats/live`, { token: t.token });
      return live.connections >= 1 && live.publishesPerSecond > 0 && live.deliveriesPerSecond > 0;
    }, { timeoutMs: 5_000, what: 'live rates after publishing' });
    assert.ok(!Number.isNaN(Date.parse(live!.at)));

    ws.close();
    await waitFor(async () => (await callOk<Channels>(stack.apiUrl, 'GET', `${base}/channels`, { token: t.token })).channels.length === 0, { timeoutMs: 5_000, what: 'room vacated' });
  });

  test('scheduled messages with the session: schedule, list, cancel; the same rows the secret sees', async () => {
    const t = await createTenant(stack.apiUrl);
    const base = `/v1/apps/${t.appId}/scheduled`;
    const created = await call<{ id: string; channel: string; status: string }>(stack.apiUrl, 'POST', base, { token: t.token, json: { channel: 'later', message: { n: 1 }, delay: 60_000, id: 'sched-1' } });
    assert.equal(created.status, 201);
    assert.deepEqual([created.body.id, created.body.channel, created.body.status], ['sched-1', 'later', 'scheduled']);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'POST', base, { token: t.token, json: { channel: 'later', message: 1 } })), [400, 'invalid_delay']);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'POST', base, { token: t.token, json: { channel: 'bad channel', message: 1, delay: 1000 } })), [400, 'invalid_channel']);

    const listed = await callOk<Array<{ id: string }>>(stack.apiUrl, 'GET', base, { token: t.token });
    assert.deepEqual(listed.map((r) => r.id), ['sched-1']);
    // The data-plane route with the secret sees the same row.
    assert.deepEqual((await callOk<Array<{ id: string }>>(stack.apiUrl, 'GET', '/v1/scheduled', { token: t.secret })).map((r) => r.id), ['sched-1']);

    assert.equal((await call(stack.apiUrl, 'DELETE', `${base}/sched-1`, { token: t.token })).status, 204);
    assert.deepEqual(await callOk(stack.apiUrl, 'GET', base, { token: t.token }), []);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'DELETE', `${base}/sched-1`, { token: t.token })), [409, 'not_cancellable']);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'DELETE', `${base}/nope`, { token: t.token })), [404, 'scheduled_not_found']);
  });

  test('rotate with a grace period of the owner\'s choosing: 0 stops the previous key now', async () => {
    const t = await createTenant(stack.apiUrl);
    const rotate = (json?: unknown) => call<{ key: { value: string }; previous: { count: number; retiresAt: string | null } }>(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/keys/common/rotate`, { token: t.token, json });
    const before = Date.now();
    const hour = await rotate({ graceSeconds: 3600 });
    assert.equal(hour.status, 201);
    const retires = Date.parse(hour.body.previous.retiresAt!);
    assert.ok(retires >= before + 3_600_000 - 1000 && retires <= Date.now() + 3_600_000 + 1000, `retiresAt ${hour.body.previous.retiresAt}`);
    assert.deepEqual(reasonOf(await rotate({ graceSeconds: 31 * 86_400 })), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await rotate({ graceSeconds: -1 })), [400, 'invalid_request']);

    const current = hour.body.key.value;
    const now = await rotate({ graceSeconds: 0 });
    assert.equal(now.status, 201);
    // The key it replaced stops at once (within the key cache), the new one works.
    await waitFor(async () => (await call(stack.apiUrl, 'GET', '/v1/channels/x/history', { token: current })).status === 401, { timeoutMs: 5_000, what: 'the replaced key refused' });
    assert.equal((await call(stack.apiUrl, 'GET', '/v1/channels/x/history', { token: now.body.key.value })).status, 200);
  });

  test('tenant isolation: another customer gets 404 app_not_found on every app route; no session 401', async () => {
    const a = await createTenant(stack.apiUrl);
    const b = await createTenant(stack.apiUrl);
    const base = `/v1/apps/${a.appId}`;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', base],
      ['GET', `${base}/keys`],
      ['PATCH', base, { name: 'mine now' }],
      ['GET', `${base}/channels`],
      ['GET', `${base}/channels/room/history`],
      ['GET', `${base}/channels/room/presence`],
      ['GET', `${base}/stats/live`],
      ['GET', `${base}/usage`],
      ['GET', `${base}/usage/history`],
      ['GET', `${base}/scheduled`],
      ['POST', `${base}/scheduled`, { channel: 'room', message: 1, delay: 60_000 }],
      ['DELETE', `${base}/scheduled/anything`],
      ['POST', `${base}/keys/common/rotate`, { graceSeconds: 0 }],
    ];
    for (const [method, path, json] of routes) {
      assert.deepEqual(reasonOf(await call(stack.apiUrl, method, path, { token: b.token, json })), [404, 'app_not_found'], `${method} ${path} as B`);
      assert.deepEqual(reasonOf(await call(stack.apiUrl, method, path, { json })), [401, 'unauthorized'], `${method} ${path} without a session`);
    }
    assert.equal((await callOk<AppView>(stack.apiUrl, 'GET', base, { token: a.token })).name, 'test app');
  });
});

describe('admin endpoints', () => {
  test('non-admins get 403 forbidden on every admin route, no session 401', async () => {
    const customer = await createTenant(stack.apiUrl);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/admin/accounts'],
      ['GET', '/v1/admin/apps'],
      ['GET', '/v1/admin/plans'],
      ['POST', `/v1/admin/apps/${customer.appId}/suspend`, {}],
      ['POST', `/v1/admin/apps/${customer.appId}/resume`],
      ['PATCH', `/v1/admin/apps/${customer.appId}`, { planId: 'pro' }],
    ];
    for (const [method, path, json] of routes) {
      assert.deepEqual(reasonOf(await call(stack.apiUrl, method, path, { token: customer.token, json })), [403, 'forbidden'], `${method} ${path}`);
      assert.deepEqual(reasonOf(await call(stack.apiUrl, method, path, { json })), [401, 'unauthorized'], `${method} ${path}`);
    }
    assert.equal((await callOk<AppView>(stack.apiUrl, 'GET', `/v1/apps/${customer.appId}`, { token: customer.token })).status, 'active');
  });

  test('accounts and apps with their usage; q filters; plan change clears overrides above the new plan', async () => {
    const admin = await adminTenant();
    const t = await createTenant(stack.apiUrl, { planId: 'pro', historySize: 500, historyTtlSeconds: 3600 });
    const me = await callOk<{ id: string; email: string }>(stack.apiUrl, 'GET', '/v1/me', { token: t.token });
    await restPublish(stack.apiUrl, t.secret, { channel: 'c', message: 1 });

    type AccountRow = { id: string; email: string; role: string; createdAt: string; apps: number; messagesToday: number };
    // The shared test database holds every earlier run's accounts: search, and newest first.
    const found = await callOk<AccountRow[]>(stack.apiUrl, 'GET', `/v1/admin/accounts?q=${encodeURIComponent(me.email.toUpperCase())}`, { token: admin.token });
    assert.deepEqual(found.map((a) => [a.id, a.email, a.role, a.apps, a.messagesToday >= 1]), [[me.id, me.email, 'customer', 1, true]]);
    const newest = await callOk<AccountRow[]>(stack.apiUrl, 'GET', '/v1/admin/accounts?limit=5', { token: admin.token });
    assert.ok(newest.length <= 5 && newest.some((a) => a.id === me.id), 'the newest accounts come first');
    assert.ok(newest.every((a, i) => i === 0 || a.createdAt <= newest[i - 1].createdAt));
    const adminEmail = (await callOk<{ email: string }>(stack.apiUrl, 'GET', '/v1/me', { token: admin.token })).email;
    const adminRow = (await callOk<AccountRow[]>(stack.apiUrl, 'GET', `/v1/admin/accounts?q=${encodeURIComponent(adminEmail)}`, { token: admin.token }))[0];
    assert.deepEqual([adminRow.role, adminRow.apps], ['admin', 1]);

    type AdminApp = AppView & { ownerEmail: string; connections: number; messagesToday: number };
    const byEmail = await callOk<AdminApp[]>(stack.apiUrl, 'GET', `/v1/admin/apps?q=${encodeURIComponent(me.email.toUpperCase())}`, { token: admin.token });
    assert.deepEqual(byEmail.map((a) => [a.id, a.ownerEmail, a.plan.id]), [[t.appId, me.email, 'pro']]);
    assert.ok(byEmail[0].messagesToday >= 1);
    assert.equal(byEmail[0].connections, 0);
    assert.deepEqual((await callOk<AdminApp[]>(stack.apiUrl, 'GET', `/v1/admin/apps?q=${t.appId}`, { token: admin.token })).map((a) => a.id), [t.appId]);
    assert.ok((await callOk<AdminApp[]>(stack.apiUrl, 'GET', '/v1/admin/apps', { token: admin.token })).some((a) => a.id === t.appId));

    const change = (planId: unknown) => call<AppView>(stack.apiUrl, 'PATCH', `/v1/admin/apps/${t.appId}`, { token: admin.token, json: { planId } });
    assert.deepEqual(reasonOf(await change('platinum')), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await change(undefined)), [400, 'invalid_request']);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'PATCH', '/v1/admin/apps/app_nosuchapp', { token: admin.token, json: { planId: 'free' } })), [404, 'app_not_found']);
    const moved = await change('free');
    assert.equal(moved.status, 200);
    // 500 messages is above free's 100 (cleared); 3600 s is within free's day (kept).
    assert.deepEqual([moved.body.plan.id, moved.body.plan.maxConnections, moved.body.historySize, moved.body.historyTtlSeconds, moved.body.history], ['free', 100, null, 3600, { size: 100, ttlSeconds: 3600 }]);
    const seenByOwner = await callOk<AppView>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}`, { token: t.token });
    assert.deepEqual([seenByOwner.plan.id, seenByOwner.plan.maxConnections], ['free', 100]);
  });

  test('suspend closes live connections with 4403 app_suspended and refuses publishes and connections; resume restores them', async () => {
    const admin = await adminTenant();
    const t = await createTenant(stack.apiUrl);
    const ws = await WsClient.connect(stack.wsUrl(), t.commonKey);
    await ws.subscribe('news');
    await restPublish(stack.apiUrl, t.secret, { channel: 'news', message: 'before' });
    await ws.waitForMessages(1, 'news');

    const suspended = await callOk<AppView>(stack.apiUrl, 'POST', `/v1/admin/apps/${t.appId}/suspend`, { token: admin.token, json: { reason: 'Abuse report #42' } });
    assert.deepEqual([suspended.status, suspended.suspendedReason, typeof suspended.suspendedAt], ['suspended', 'Abuse report #42', 'string']);
    assert.equal(await ws.waitClosed(3_000), 4403);
    assert.match(ws.closeReason ?? '', /^app_suspended\b/);

    // The API process that suspended forgot its cached keys: refused at once.
    const publish = await call(stack.apiUrl, 'POST', '/v1/publish', { token: t.secret, json: { channel: 'news', message: 'during' } });
    assert.deepEqual(reasonOf(publish), [403, 'app_suspended']);
    await waitFor(async () => {
      const c = await WsClient.connect(stack.wsUrl(), t.commonKey);
      c.close();
      return c.closeCode === 4403;
    }, { timeoutMs: 3_000, intervalMs: 100, what: 'new connections refused' });
    const owner = await callOk<AppView>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}`, { token: t.token });
    assert.deepEqual([owner.status, owner.suspendedReason], ['suspended', 'Abuse report #42']);

    const resumed = await callOk<AppView>(stack.apiUrl, 'POST', `/v1/admin/apps/${t.appId}/resume`, { token: admin.token });
    assert.deepEqual([resumed.status, resumed.suspendedReason, resumed.suspendedAt], ['active', null, null]);
    let again: WsClient | undefined;
    await waitFor(async () => {
      again?.close();
      again = await WsClient.connect(stack.wsUrl(), t.commonKey);
      return again.closeCode === undefined;
    }, { timeoutMs: 3_000, intervalMs: 100, what: 'connections accepted again' });
    await again!.subscribe('news');
    await restPublish(stack.apiUrl, t.secret, { channel: 'news', message: 'after' });
    assert.deepEqual((await again!.waitForMessages(1, 'news')).map((m) => m.content), ['after']);
    again!.close();

    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'POST', '/v1/admin/apps/app_nosuchapp/suspend', { token: admin.token, json: {} })), [404, 'app_not_found']);
    assert.deepEqual(reasonOf(await call(stack.apiUrl, 'POST', `/v1/admin/apps/${t.appId}/suspend`, { token: admin.token, json: { reason: 'x'.repeat(501) } })), [400, 'invalid_request']);
  });
});
