import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RequestMethod } from '@nestjs/common';
import { API_CONTROLLERS } from '../../apps/api/src/api.controllers.js';
import { ROOT, call, startStack, waitFor, type CallOptions, type Reply, type Stack } from '@herald/testing';

const execFileAsync = promisify(execFile);

const GRACE_MS = 1500;
let stack: Stack;
let api: <T = Record<string, unknown>>(method: string, path: string, o?: CallOptions) => Promise<Reply<T>>;

before(async () => {
  // The API and one worker (its publish processor appends to history); no gateway: nothing here uses WebSockets.
  stack = await startStack({ gateways: 0, workers: 1, env: { HERALD_KEY_GRACE_MS: String(GRACE_MS), HERALD_KEY_CACHE_MS: '0' } });
  api = (method, path, o) => call(stack.apiUrl, method, path, o);
});
after(async () => stack?.stop());

interface Tenant {
  token: string;
  appId: string;
  keys: { common: string; subscribe: string; secret: string };
}

const uniqueEmail = () => `e2e-${randomBytes(6).toString('hex')}@example.com`;

async function signup(email = uniqueEmail()): Promise<string> {
  const r = await api<{ token: string }>('POST', '/v1/accounts', { json: { email, password: 'password-123' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.token;
}

async function tenant(app: Record<string, unknown> = {}): Promise<Tenant> {
  const token = await signup();
  const r = await api<{ id: string; keys: Tenant['keys'] }>('POST', '/v1/apps', { token, json: { name: 'e2e', ...app } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { token, appId: r.body.id, keys: r.body.keys };
}

const publish = (key: string, json: unknown) => api('POST', '/v1/publish', { token: key, json });

describe('accounts', () => {
  test('signup, login, me, logout', async () => {
    const email = uniqueEmail();
    const s = await api<{ account: { email: string; role: string }; token: string }>('POST', '/v1/accounts', {
      json: { email: `  ${email.toUpperCase()} `, password: 'password-123' },
    });
    assert.equal(s.status, 201);
    assert.equal(s.body.account.email, email);
    assert.equal(s.body.account.role, 'customer');
    assert.match(s.body.token, /^hs_/);

    const taken = await api('POST', '/v1/accounts', { json: { email, password: 'password-123' } });
    assert.deepEqual([taken.status, taken.body.reason], [409, 'email_taken']);
    const short = await api('POST', '/v1/accounts', { json: { email: uniqueEmail(), password: 'short' } });
    assert.deepEqual([short.status, short.body.reason], [400, 'invalid_request']);

    const login = await api<{ token: string }>('POST', '/v1/sessions', { json: { email, password: 'password-123' } });
    assert.equal(login.status, 201);
    const me = await api('GET', '/v1/me', { token: login.body.token });
    assert.deepEqual([me.status, me.body.email], [200, email]);

    for (const bad of [{ email, password: 'wrong-password' }, { email: uniqueEmail(), password: 'password-123' }]) {
      const r = await api('POST', '/v1/sessions', { json: bad });
      assert.deepEqual(r.body, { code: 401, content: 'Wrong email or password', reason: 'invalid_credentials' });
    }

    assert.equal((await api('DELETE', '/v1/sessions/current', { token: login.body.token })).status, 204);
    const gone = await api('GET', '/v1/me', { token: login.body.token });
    assert.deepEqual([gone.status, gone.body.reason], [401, 'unauthorized']);
    assert.equal((await api('GET', '/v1/me')).status, 401);
  });
});

describe('apps and keys', () => {
  test('create, list keys (secret masked), reveal; other accounts see 404', async () => {
    const t = await tenant({ allowedOrigins: ['https://Example.com'], historySize: 10 });
    const app = await api<{ allowedOrigins: string[]; history: { size: number } }>('GET', `/v1/apps/${t.appId}`, { token: t.token });
    assert.equal(app.status, 200);
    assert.deepEqual(app.body.allowedOrigins, ['https://example.com']);
    assert.equal(app.body.history.size, 10);

    const keys = await api<Array<{ kind: string; value: string | null; masked?: string; status: string }>>('GET', `/v1/apps/${t.appId}/keys`, { token: t.token });
    assert.equal(keys.status, 200);
    const byKind = Object.fromEntries(keys.body.map((k) => [k.kind, k]));
    assert.equal(byKind.common.value, t.keys.common);
    assert.equal(byKind.subscribe.value, t.keys.subscribe);
    assert.equal(byKind.secret.value, null);
    assert.equal(byKind.secret.masked, `••••${t.keys.secret.slice(-4)}`);
    const reveal = await api('POST', `/v1/apps/${t.appId}/keys/secret/reveal`, { token: t.token });
    assert.deepEqual([reveal.status, reveal.body.secret], [200, t.keys.secret]);

    const other = await signup();
    for (const [method, path] of [['GET', `/v1/apps/${t.appId}`], ['GET', `/v1/apps/${t.appId}/keys`], ['POST', `/v1/apps/${t.appId}/keys/secret/reveal`], ['DELETE', `/v1/apps/${t.appId}`]]) {
      const r = await api(method, path, { token: other });
      assert.deepEqual([r.status, r.body.reason], [404, 'app_not_found'], `${method} ${path}`);
    }
    assert.deepEqual((await api<unknown[]>('GET', '/v1/apps', { token: other })).body, []);
  });

  test('create refuses windows above the plan, bad origins and unknown fields', async () => {
    const token = await signup();
    for (const json of [{ name: 'x', historySize: 101 }, { name: 'x', historyTtlSeconds: 86_401 }, { name: 'x', allowedOrigins: ['example.com'] }, { name: '' }, { name: 'x', planId: 'gold' }, { name: 'x', color: 'red' }]) {
      const r = await api('POST', '/v1/apps', { token, json });
      assert.deepEqual([r.status, r.body.reason], [400, 'invalid_request'], JSON.stringify(json));
    }
  });

  test('rotation: old and new keys both work during the grace period, then the old one is refused', async () => {
    const t = await tenant();
    const r = await api<{ key: { value: string; kind: string }; previous: { count: number; retiresAt: string } }>('POST', `/v1/apps/${t.appId}/keys/common/rotate`, { token: t.token });
    assert.equal(r.status, 201);
    assert.equal(r.body.key.kind, 'common');
    assert.notEqual(r.body.key.value, t.keys.common);
    assert.equal(r.body.previous.count, 1);
    const retiresAt = Date.parse(r.body.previous.retiresAt);
    assert.equal((await publish(t.keys.common, { channel: 'rot', message: 'old' })).status, 200);
    assert.equal((await publish(r.body.key.value, { channel: 'rot', message: 'new' })).status, 200);
    await new Promise((done) => setTimeout(done, Math.max(0, retiresAt - Date.now()) + 100));
    const old = await publish(t.keys.common, { channel: 'rot', message: 'old' });
    assert.deepEqual([old.status, old.body.reason], [401, 'key_expired']);
    assert.equal((await publish(r.body.key.value, { channel: 'rot', message: 'new' })).status, 200);

    const secret = await api<{ key: { value: string; masked: string } }>('POST', `/v1/apps/${t.appId}/keys/secret/rotate`, { token: t.token });
    assert.match(secret.body.key.value, /^[0-9a-f]{32}$/);
    const revealed = await api('POST', `/v1/apps/${t.appId}/keys/secret/reveal`, { token: t.token });
    assert.equal(revealed.body.secret, secret.body.key.value);
    const bad = await api('POST', `/v1/apps/${t.appId}/keys/master/rotate`, { token: t.token });
    assert.deepEqual([bad.status, bad.body.reason], [400, 'invalid_request']);
  });

  test('revoke: the key is refused at once', async () => {
    const t = await tenant();
    const keys = await api<Array<{ id: string; kind: string }>>('GET', `/v1/apps/${t.appId}/keys`, { token: t.token });
    const common = keys.body.find((k) => k.kind === 'common')!;
    const r = await api('POST', `/v1/apps/${t.appId}/keys/${common.id}/revoke`, { token: t.token });
    assert.deepEqual([r.status, r.body.status], [200, 'revoked']);
    assert.ok(r.body.revokedAt);
    const refused = await publish(t.keys.common, { channel: 'c', message: 'x' });
    assert.deepEqual(refused.body, { code: 401, content: 'App key revoked', reason: 'key_revoked' });
    const missing = await api('POST', `/v1/apps/${t.appId}/keys/key_nope/revoke`, { token: t.token });
    assert.equal(missing.status, 404);
  });

  test('delete: the app and its keys are gone', async () => {
    const t = await tenant();
    assert.equal((await api('DELETE', `/v1/apps/${t.appId}`, { token: t.token })).status, 204);
    assert.equal((await api('GET', `/v1/apps/${t.appId}`, { token: t.token })).status, 404);
    assert.equal((await publish(t.keys.secret, { channel: 'c', message: 'x' })).body.reason, 'invalid_key');
  });
});

describe('publish', () => {
  test('idempotent by id, with offsets', async () => {
    const t = await tenant();
    const first = await publish(t.keys.secret, { channel: 'orders', message: { n: 1 }, id: 'order-1' });
    assert.equal(first.status, 200);
    assert.deepEqual({ ...first.body, epoch: undefined }, { id: 'order-1', channel: 'orders', offset: 1, epoch: undefined, duplicate: false });
    const again = await publish(t.keys.secret, { channel: 'orders', message: { n: 1 }, id: 'order-1' });
    assert.deepEqual(again.body, { ...first.body, duplicate: true });
    const byCommon = await call(stack.apiUrl, 'POST', '/v1/publish', { json: { channel: 'orders', message: 'hi', appkey: t.keys.common } });
    assert.deepEqual([byCommon.status, byCommon.body.offset], [200, 2]);
  });

  test('refusals have stable reasons', async () => {
    const t = await tenant();
    const cases: Array<[CallOptions, number, string]> = [
      [{ token: t.keys.subscribe, json: { channel: 'c', message: 'x' } }, 403, 'publish_forbidden'],
      [{ token: t.keys.secret, json: { channel: 'bad channel!', message: 'x' } }, 400, 'invalid_channel'],
      [{ token: t.keys.secret, json: { message: 'x' } }, 400, 'invalid_channel'],
      [{ token: t.keys.secret, json: { channel: 'c' } }, 400, 'invalid_message'],
      [{ token: t.keys.secret, json: { channel: 'c', message: 'x', delay: -1000 } }, 400, 'invalid_delay'],
      [{ token: t.keys.secret, json: { channel: 'c', message: 'x', nope: 1 } }, 400, 'invalid_request'],
      [{ token: t.keys.secret, json: { channel: 'c', message: 'x'.repeat(33 * 1024) } }, 413, 'payload_too_large'],
      [{ token: t.keys.secret, raw: '{"channel":"c",' }, 400, 'invalid_json'],
      [{ token: t.keys.secret, raw: JSON.stringify({ channel: 'c', message: 'x'.repeat(1100 * 1024) }) }, 413, 'payload_too_large'],
      [{ token: 'BC-doesnotexist0000000000', json: { channel: 'c', message: 'x' } }, 401, 'invalid_key'],
      [{ json: { channel: 'c', message: 'x' } }, 401, 'unauthorized'],
    ];
    for (const [o, status, reason] of cases) {
      const r = await api('POST', '/v1/publish', o);
      assert.deepEqual([r.status, r.body.code, r.body.reason], [status, status, reason], JSON.stringify(o).slice(0, 120));
      assert.equal(typeof r.body.content, 'string');
    }
    const notFound = await api('GET', '/v1/nothing-here');
    assert.deepEqual([notFound.status, notFound.body.reason], [404, 'not_found']);
  });

  test('the plain publish (served before the framework) and the framework’s answers carry the same headers and shapes', async () => {
    const t = await tenant();
    const origin = { origin: 'https://page.example', 'x-request-id': 'req-fast-1' };
    // Plain: served by PublishIngress. Unknown field, scheduled or not JSON: handed on to the framework.
    const plain = await api('POST', '/v1/publish', { token: t.keys.secret, json: { channel: 'c', message: 1, id: null, accessToken: null }, headers: origin });
    const unknown = await api('POST', '/v1/publish', { token: t.keys.secret, json: { channel: 'c', message: 1, extra: true }, headers: { ...origin, 'x-request-id': 'req-slow-1' } });
    const scheduled = await api('POST', '/v1/publish', { token: t.keys.secret, json: { channel: 'c', message: 2, delay: 60_000 }, headers: origin });
    const badJson = await api('POST', '/v1/publish', { token: t.keys.secret, raw: '"just a string"', headers: origin });
    const array = await api('POST', '/v1/publish', { token: t.keys.secret, raw: '[1]', headers: origin });
    const wrongType = await api('POST', '/v1/publish', { token: t.keys.secret, json: { channel: 'c', message: 1, id: 7 }, headers: origin });
    // class-transformer drops keys the DTO instance inherits (constructor, __proto__): refused all the same.
    const shadowed = await api('POST', '/v1/publish', { token: t.keys.secret, raw: '{"channel":"c","message":1,"__proto__":{"id":"x"}}', headers: origin });
    assert.deepEqual([plain.status, plain.body.offset, plain.body.duplicate], [200, 1, false]);
    assert.deepEqual([unknown.status, unknown.body.reason, unknown.body.content], [400, 'invalid_request', 'property extra should not exist']);
    assert.equal(scheduled.status, 202);
    assert.deepEqual([badJson.status, badJson.body.reason], [400, 'invalid_json']);
    assert.deepEqual([array.status, array.body.reason], [400, 'invalid_request']);
    assert.deepEqual([wrongType.status, wrongType.body.reason], [400, 'invalid_request']);
    assert.deepEqual([shadowed.status, shadowed.body.reason, shadowed.body.content], [400, 'invalid_request', 'property __proto__ should not exist']);
    for (const [name, r] of Object.entries({ plain, unknown, scheduled, badJson, array, wrongType, shadowed })) {
      assert.equal(r.headers.get('access-control-allow-origin'), 'https://page.example', name);
      assert.equal(r.headers.get('vary'), 'Origin', name);
      assert.equal(r.headers.get('access-control-expose-headers'), 'ETag,X-Request-Id,Retry-After', name);
      assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8', name);
      assert.ok(r.headers.get('x-request-id'), name);
      assert.equal(r.headers.get('x-powered-by'), null, name);
    }
    assert.equal(plain.headers.get('x-request-id'), 'req-fast-1');
    assert.equal(unknown.headers.get('x-request-id'), 'req-slow-1');
    // The key from the query and from the body, as on the framework's routes.
    const byQuery = await api('POST', `/v1/publish?appkey=${t.keys.common}`, { json: { channel: 'c', message: 3 } });
    const byBody = await api('POST', '/v1/publish', { json: { channel: 'c', message: 4, appkey: t.keys.common } });
    assert.deepEqual([byQuery.status, byQuery.body.offset, byBody.status, byBody.body.offset], [200, 2, 200, 3]);
  });

  test('allowed origins are enforced on the data plane', async () => {
    const t = await tenant({ allowedOrigins: ['https://shop.example'] });
    const ok = await publish(t.keys.common, { channel: 'c', message: 'x' });
    assert.equal(ok.status, 200);
    const good = await api('POST', '/v1/publish', { token: t.keys.common, json: { channel: 'c', message: 'x' }, headers: { origin: 'https://shop.example' } });
    assert.equal(good.status, 200);
    const evil = await api('POST', '/v1/publish', { token: t.keys.common, json: { channel: 'c', message: 'x' }, headers: { origin: 'https://evil.example' } });
    assert.deepEqual([evil.status, evil.body.reason], [403, 'origin_not_allowed']);
  });
});

describe('GoEasy-compatible REST', () => {
  test('publish (JSON, form, legacy) and errors in GoEasy shape', async () => {
    const t = await tenant();
    const json = await api('POST', '/v2/pubsub/publish', { json: { appkey: t.keys.common, channel: 'g', content: 'hello' } });
    assert.deepEqual([json.status, json.body], [200, { code: 200, content: 'OK' }]);
    const form = await api('POST', '/v2/pubsub/publish', { form: { appkey: t.keys.secret, channel: 'g', content: 'hello' } });
    assert.deepEqual(form.body, { code: 200, content: 'OK' });
    const legacy = await api('POST', '/publish', { form: { appkey: t.keys.common, channel: 'g', content: 'hello' } });
    assert.deepEqual(legacy.body, { code: 200, content: 'OK' });

    const bad = await api('POST', '/v2/pubsub/publish', { json: { appkey: 'BC-nosuchkey000000000000', channel: 'g', content: 'x' } });
    assert.deepEqual([bad.status, bad.body.code, typeof bad.body.content], [401, 401, 'string']);
    const sub = await api('POST', '/v2/pubsub/publish', { form: { appkey: t.keys.subscribe, channel: 'g', content: 'x' } });
    assert.deepEqual([sub.status, sub.body.code], [403, 403]);
  });
});

describe('history', () => {
  test('newest N, since offset, ETag and 304, GoEasy order and time range', async () => {
    const t = await tenant();
    const channel = 'news';
    const times: number[] = [];
    for (let i = 1; i <= 5; i++) {
      times.push(Date.now());
      assert.equal((await publish(t.keys.secret, { channel, message: { i } })).status, 200);
      await new Promise((r) => setTimeout(r, 5));
    }
    type Page = { channel: string; offset: number; epoch: string; messages: Array<{ offset: number; content: { i: number }; time: number; id: string; type?: string }> };
    let all!: Reply<Page>;
    await waitFor(async () => (all = await api<Page>('GET', `/v1/channels/${channel}/history`, { token: t.keys.subscribe })).body.messages.length === 5, {
      what: 'five messages in history',
    });
    assert.equal(all.body.offset, 5);
    assert.deepEqual(all.body.messages.map((m) => m.content.i), [1, 2, 3, 4, 5]);
    assert.equal(all.body.messages[0].type, undefined);
    assert.equal(all.headers.get('cache-control'), 'no-cache');

    const newest = await api<Page>('GET', `/v1/channels/${channel}/history?limit=2`, { token: t.keys.common });
    assert.deepEqual(newest.body.messages.map((m) => m.offset), [4, 5]);
    const since = await api<Page>('GET', `/v1/channels/${channel}/history?since=3`, { token: t.keys.secret });
    assert.deepEqual(since.body.messages.map((m) => m.offset), [4, 5]);

    const etag = newest.headers.get('etag')!;
    assert.ok(etag);
    const same = await api('GET', `/v1/channels/${channel}/history?limit=2`, { token: t.keys.common, headers: { 'if-none-match': etag } });
    assert.equal(same.status, 304);
    assert.equal(same.body, undefined);
    await publish(t.keys.secret, { channel, message: { i: 6 } });
    let changed!: Reply<Page>;
    await waitFor(async () => (changed = await api<Page>('GET', `/v1/channels/${channel}/history?limit=2`, { token: t.keys.common, headers: { 'if-none-match': etag } })).status === 200, {
      what: 'a changed ETag',
    });
    assert.deepEqual(changed.body.messages.map((m) => m.offset), [5, 6]);

    const bad = await api('GET', '/v1/channels/bad%20channel/history', { token: t.keys.common });
    assert.deepEqual([bad.status, bad.body.reason], [400, 'invalid_channel']);
    const badLimit = await api('GET', `/v1/channels/${channel}/history?limit=0`, { token: t.keys.common });
    assert.deepEqual([badLimit.status, badLimit.body.reason], [400, 'invalid_request']);

    type GoEasyHistory = { code: number; content: { messages: Array<{ time: number; content: { i: number } }> } };
    const ge = await api<GoEasyHistory>('GET', `/v2/pubsub/history?appkey=${t.keys.common}&channel=${channel}&limit=3`);
    assert.equal(ge.body.code, 200);
    assert.deepEqual(ge.body.content.messages.map((m) => m.content.i), [6, 5, 4]);
    const msgs = all.body.messages;
    const ranged = await api<GoEasyHistory>('GET', `/v2/pubsub/history?appkey=${t.keys.common}&channel=${channel}&start=${msgs[1].time}&end=${msgs[2].time}`);
    assert.deepEqual(ranged.body.content.messages.map((m) => m.content.i), [3, 2]);
  });
});

describe('OpenAPI', () => {
  test('/docs-json documents every /v1 route with its schemas', async () => {
    type Operation = { requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content?: Record<string, { schema: unknown }> }>; security?: unknown[] };
    const doc = await api<{ paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } }>('GET', '/docs-json');
    assert.equal(doc.status, 200);
    assert.ok(doc.body.components.securitySchemes.account);
    assert.ok(doc.body.components.securitySchemes.appKey);
    assert.equal((await fetch(`${stack.apiUrl}/docs`)).status, 200);

    let checked = 0;
    for (const controller of API_CONTROLLERS) {
      const base = String(Reflect.getMetadata('path', controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const sub = Reflect.getMetadata('path', handler) as string | undefined;
        const method = Reflect.getMetadata('method', handler) as RequestMethod | undefined;
        if (sub === undefined || method === undefined) continue;
        const path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/').replace(/:(\w+)/g, '{$1}');
        if (!path.startsWith('/v1/')) continue;
        const verb = RequestMethod[method].toLowerCase();
        const op = doc.body.paths[path]?.[verb];
        assert.ok(op, `${verb.toUpperCase()} ${path} missing from the OpenAPI document`);
        const success = Object.entries(op.responses).filter(([code]) => code.startsWith('2'));
        assert.ok(success.length > 0, `${verb} ${path}: no success response`);
        for (const [code, res] of success) if (code !== '204') assert.ok(res.content?.['application/json']?.schema, `${verb} ${path} ${code}: no schema`);
        if (verb === 'post' && !/(reveal|rotate|revoke|resume|\/deliveries\/\{deliveryId\}\/replay|\/dead-letters\/\{id\}\/replay)$/.test(path)) assert.ok(op.requestBody?.content['application/json']?.schema, `${verb} ${path}: no request schema`);
        if (!['/v1/accounts', '/v1/sessions', '/v1/plans', '/v1/config'].includes(path)) assert.ok(op.security?.length, `${verb} ${path}: no security scheme`);
        checked++;
      }
    }
    assert.ok(checked >= 14, `only ${checked} routes checked`);
  });
});

describe('demo seed', () => {
  test('idempotent, and pinned keys are used verbatim', async () => {
    const email = uniqueEmail();
    // Asynchronous on purpose: a blocked event loop would miss the API closing idle keep-alive
    // sockets, and the next request would go out on a dead one ("other side closed").
    const seed = async (env: Record<string, string> = {}) => {
      const { stdout } = await execFileAsync(process.execPath, ['dist/apps/api/src/seed/main.js'], {
        cwd: ROOT,
        env: { ...process.env, ...stack.env, HERALD_DEMO_EMAIL: email, ...env },
        encoding: 'utf8',
      });
      return JSON.parse(stdout.trim()) as Record<string, string>;
    };
    const first = await seed();
    assert.deepEqual(await seed(), first);
    assert.equal(first.email, email);
    const login = await api<{ account: { role: string } }>('POST', '/v1/sessions', { json: { email, password: first.password } });
    assert.equal(login.body.account.role, 'admin');

    const pinned = { HERALD_DEMO_SECRET: randomBytes(16).toString('hex'), HERALD_DEMO_COMMON_KEY: `BC-${randomBytes(12).toString('hex')}` };
    const second = await seed(pinned);
    assert.equal(second.appId, first.appId);
    assert.equal(second.secret, pinned.HERALD_DEMO_SECRET);
    assert.equal(second.commonKey, pinned.HERALD_DEMO_COMMON_KEY);
    assert.equal(second.subscribeKey, first.subscribeKey);
    assert.equal((await publish(second.secret, { channel: 'demo', message: 'hi' })).status, 200);
    assert.equal((await publish(first.secret, { channel: 'demo', message: 'hi' })).status, 401);
  });
});
