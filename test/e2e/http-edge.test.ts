import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REASONS } from '@herald/protocol';
import { createTenant, restPublish, startStack, testSettings, type Stack, type Tenant } from '@herald/testing';

// The one HTTP edge of both apps: bad input gets a documented 4xx in the {code, content, reason} shape,
// never a 5xx; refused origins get no CORS grant.
let stack: Stack;
let t: Tenant;
let locked: Tenant;
before(async () => {
  stack = await startStack();
  t = await createTenant(stack.apiUrl);
  // The demo plan allows any origin; pro checks the app's list.
  locked = await createTenant(stack.apiUrl, { planId: 'pro', allowedOrigins: ['https://app.example'] });
});
after(async () => {
  await stack?.stop();
});

const gw = () => stack.gateways[0].url;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown> | undefined;
}

/** Reads the body of errors only: a 2xx may be a stream (SSE) that never ends. */
async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (res.status < 400 && (res.headers.get('content-type') ?? '').includes('event-stream')) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, text: '', body: undefined };
  }
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** A documented error: HTTP status = code, a known reason with that code, a human text. */
function assertErrorShape(a: Answer, what: string): void {
  assert.ok(a.body, `${what}: JSON body, got ${a.status} ${a.text.slice(0, 200)}`);
  const { code, content, reason } = a.body as { code: unknown; content: unknown; reason: unknown };
  assert.equal(code, a.status, `${what}: code = status`);
  assert.equal(typeof content, 'string', `${what}: content`);
  assert.ok(typeof reason === 'string' && reason in REASONS, `${what}: documented reason, got ${String(reason)}`);
  assert.equal(REASONS[reason as keyof typeof REASONS].code, a.status, `${what}: ${String(reason)} has status ${a.status}`);
  assert.deepEqual(Object.keys(a.body).sort(), ['code', 'content', 'reason'], `${what}: nothing else in an error`);
}

/** Pusher's HTTP API (its paths under `/apps/{id}/` on the API) answers as Pusher does: its status, a plain-text body. */
const PUSHER_PATH = /^\/apps\/[^/]+\/(events|batch_events|channels(\/[^/]+(\/users)?)?|users\/[^/]+\/terminate_connections)$/;
function assertPusherErrorShape(a: Answer, what: string): void {
  assert.ok([400, 401, 403, 404, 405, 413, 429].includes(a.status), `${what}: one of Pusher's statuses, got ${a.status}`);
  assert.ok(a.text.trim().length > 0 && a.body === undefined, `${what}: a plain-text reason, got ${a.text.slice(0, 200)}`);
}

const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('hostile JSON', () => {
  const deep = '{"channel":"c","message":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
  const open = '['.repeat(100_000);
  for (const [name, body] of [['nested 5,000 deep', deep], ["'[' x 100,000", open]] as const) {
    test(`${name}: 400 invalid_json on every publish route`, async () => {
      const routes: Array<[string, RequestInit]> = [
        [`${stack.apiUrl}/v1/publish`, json(body, { authorization: `Bearer ${t.secret}` })],
        [`${stack.apiUrl}/v2/pubsub/publish`, json(body.replace('{', `{"appkey":"${t.secret}",`))],
        [`${gw()}/publish?appkey=${t.commonKey}`, json(body)],
      ];
      for (const [url, init] of routes) {
        const a = await send(url, init);
        assertErrorShape(a, url);
        assert.equal(a.body?.reason, 'invalid_json', `${url}: ${a.text.slice(0, 200)}`);
      }
    });
  }

  test('content nested deeper than the limit is refused; content at the limit is published', async () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const ok = await send(`${stack.apiUrl}/v1/publish`, json(`{"channel":"c","message":${nested(60)}}`, { authorization: `Bearer ${t.secret}` }));
    assert.equal(ok.status, 200, ok.text);
    const tooDeep = await send(`${stack.apiUrl}/v1/publish`, json(`{"channel":"c","message":${nested(200)}}`, { authorization: `Bearer ${t.secret}` }));
    assert.equal(tooDeep.body?.reason, 'invalid_json');
  });
});

describe('positions', () => {
  test('?since=1e30 (and other non-offsets) on every history route: 400 invalid_position', async () => {
    await restPublish(stack.apiUrl, t.secret, { channel: 'h', message: 1 });
    for (const since of ['1e30', '-1', 'abc', '1.5', '99999999999999999999']) {
      for (const url of [
        `${stack.apiUrl}/v1/channels/h/history?appkey=${t.commonKey}&since=${since}`,
        `${gw()}/history?appkey=${t.commonKey}&channel=h&since=${since}`,
      ]) {
        const a = await send(url);
        assertErrorShape(a, url);
        assert.equal(a.body?.reason, 'invalid_position', `${url}: ${a.text}`);
      }
    }
    const fine = await send(`${stack.apiUrl}/v1/channels/h/history?appkey=${t.commonKey}&since=0`);
    assert.equal(fine.status, 200, fine.text);
  });
});

describe('the gateway answers in the documented shape', () => {
  test('a body over 1 MiB, malformed JSON, an unknown path, a wrong method', async () => {
    const big = await send(`${gw()}/publish?appkey=${t.commonKey}`, json(JSON.stringify({ channel: 'c', message: 'x'.repeat(1_100_000) })));
    assertErrorShape(big, 'big body');
    assert.equal(big.status, 413);
    const bad = await send(`${gw()}/publish?appkey=${t.commonKey}`, json('{not json'));
    assertErrorShape(bad, 'malformed');
    assert.equal(bad.body?.reason, 'invalid_json');
    const unknown = await send(`${gw()}/no/such/path`);
    assertErrorShape(unknown, 'unknown path');
    assert.equal(unknown.status, 404);
    const method = await send(`${gw()}/history?appkey=${t.commonKey}&channel=c`, { method: 'DELETE' });
    assertErrorShape(method, 'wrong method');
  });

  test('an unexpected failure is 500 internal_error, logged and counted; 503 stays for unavailability', async () => {
    // A publish body that is an array reaches the publish route as valid JSON of the wrong shape.
    const wrong = await send(`${gw()}/publish?appkey=${t.commonKey}`, json('[1,2]'));
    assertErrorShape(wrong, 'array body');
    assert.equal(wrong.status, 400);
    const metrics = await (await fetch(`${gw()}/metrics`)).text();
    assert.match(metrics, /herald_errors_total\{reason="invalid_json"/);
  });
});

describe('refused origins get no CORS grant', () => {
  const evil = 'https://evil.example';
  test('on every route a browser calls', async () => {
    const routes: Array<[string, RequestInit]> = [
      [`${gw()}/sse?appkey=${locked.commonKey}&channel=c`, {}],
      [`${gw()}/poll?appkey=${locked.commonKey}&channel=c`, {}],
      [`${gw()}/history?appkey=${locked.commonKey}&channel=c`, {}],
      [`${gw()}/herenow?appkey=${locked.commonKey}&channel=c`, {}],
      [`${gw()}/publish?appkey=${locked.commonKey}`, json('{"channel":"c","message":1}')],
      [`${stack.apiUrl}/v1/publish`, json('{"channel":"c","message":1}', { authorization: `Bearer ${locked.commonKey}` })],
    ];
    for (const [url, init] of routes) {
      const a = await send(url, { ...init, headers: { ...(init.headers as Record<string, string>), origin: evil } });
      assert.equal(a.status, 403, `${url}: ${a.text}`);
      assert.equal(a.body?.reason, 'origin_not_allowed');
      assert.equal(a.headers.get('access-control-allow-origin'), null, `${url}: no CORS grant to a refused origin`);
      // The listed origin is granted.
      const ok = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), origin: 'https://app.example' } });
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example', url);
      await ok.body?.cancel();
    }
  });
});

describe('generated input (property)', () => {
  const segment = fc.oneof(fc.constantFrom('v1', 'v2', 'publish', 'history', 'herenow', 'apps', 'events', 'batch_events', 'channels', 'users', 'terminate_connections', 'pubsub', 'poll', 'sse', 'tokens', 'sessions', 'accounts', 'admin', '..', '%00', '%2e'), fc.webSegment());
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/'));
  const query = fc.dictionary(fc.constantFrom('appkey', 'channel', 'since', 'limit', 'token', 'before', 'cursor', 'lastEventId'), fc.string({ maxLength: 40 }), { maxKeys: 4 });
  const body = fc.oneof(fc.json({ depthSize: 'medium' }), fc.string({ maxLength: 200 }), fc.constant('{"channel":"c","message":' + '['.repeat(3000)), fc.constant(''));
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
  const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1');

  test('every answer of both apps to generated requests is a 2xx/3xx or a documented error', async () => {
    // A real key in the query half the time, so requests get past authentication.
    const keyed = fc.record({ path, query, body, method, contentType, app: fc.constantFrom('api', 'gateway'), withKey: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(keyed, async (r) => {
        const base = r.app === 'api' ? stack.apiUrl : gw();
        const q = new URLSearchParams(r.query);
        if (r.withKey) q.set('appkey', t.commonKey);
        const url = `${base}${r.path}?${q}`;
        const init: RequestInit = { method: r.method, headers: { 'content-type': r.contentType, authorization: r.withKey ? `Bearer ${t.secret}` : 'Bearer nope' } };
        if (r.method !== 'GET') init.body = r.body;
        const a = await send(url, init);
        assert.ok(a.status < 500, `${r.method} ${url} ${JSON.stringify(r.body).slice(0, 100)} → ${a.status} ${a.text.slice(0, 200)}`);
        const pusher = r.app === 'api' && PUSHER_PATH.test(new URL(url).pathname);
        if (a.status >= 400) (pusher ? assertPusherErrorShape : assertErrorShape)(a, `${r.method} ${url}`);
      }),
      { numRuns: testSettings().propertyRuns, seed: testSettings().propertySeed },
    );
  });
});
