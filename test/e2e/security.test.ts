import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { signAccessToken } from '@herald/auth';
import { WsClient, call, callOk, createTenant, restPublish, startStack, waitFor, type Stack, type Tenant } from '@herald/testing';

// Two gateways, a worker; keys re-checked every 500 ms so revocations land fast; the per-connection
// publish rate raised so the fuzz tenant can publish its canaries from one connection.
let stack: Stack;
before(async () => {
  stack = await startStack({ gateways: 2, env: { HERALD_KEY_RECHECK_MS: '500', HERALD_CONN_PUBLISH_RATE: '100000' } });
});
after(async () => {
  await stack.stop();
});

const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;
const token = (t: Tenant, claims: Partial<{ channel: string; r: boolean; w: boolean; exp: number; id: string }>) =>
  signAccessToken(t.secret, { channel: 'private-room', r: true, w: false, exp: inSeconds(600), ...claims });

test('private channels: tokens checked on subscribe and publish — channel, permission, expiry, user, signer', async () => {
  const t = await createTenant(stack.apiUrl);
  const other = await createTenant(stack.apiUrl);
  const ws = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'ann' } });
  const reason = async (frame: Record<string, unknown>) => {
    const r = await ws.request(frame);
    return r.type === 'error' ? r.reason : r.type;
  };
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room' }), 'token_required');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: await token(t, { channel: 'private-other' }) }), 'invalid_token');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: await token(t, { exp: inSeconds(-120) }) }), 'token_expired');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: await token(other, {}) }), 'invalid_token');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: await token(t, { id: 'bob' }) }), 'invalid_token');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: await token(t, { exp: inSeconds(5 * 3600) }) }), 'invalid_token');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: 'not.a.jwt' }), 'invalid_token');
  assert.equal(await reason({ type: 'subscribe', channel: 'private-room', accessToken: await token(t, { id: 'ann' }) }), 'subscribed');

  assert.equal(await reason({ type: 'publish', channel: 'private-room', message: 'x', accessToken: await token(t, {}) }), 'forbidden');
  assert.equal(await reason({ type: 'publish', channel: 'private-room', message: 'x', accessToken: await token(t, { w: true }) }), 'reply');
  const [m] = await ws.waitForMessages(1);
  assert.equal(m.content, 'x');

  // A token minted by the API (secret only), used on SSE and long-polling too.
  const minted = await callOk<{ token: string }>(stack.apiUrl, 'POST', '/v1/tokens', { token: t.secret, json: { channel: 'private-room', r: true } });
  const refused = await fetch(`${stack.apiUrl}/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${t.commonKey}`, 'content-type': 'application/json' }, body: '{"channel":"private-room"}' });
  assert.equal(refused.status, 403);
  const poll = await fetch(`${stack.gateways[1].url}/poll?appkey=${t.commonKey}&channel=private-room&wait=0&token=${minted.token}`);
  assert.equal(poll.status, 200);
  const noToken = await fetch(`${stack.gateways[1].url}/poll?appkey=${t.commonKey}&channel=private-room&wait=0`);
  assert.deepEqual([noToken.status, ((await noToken.json()) as { reason: string }).reason], [403, 'token_required']);
  const history = await fetch(`${stack.apiUrl}/v1/channels/private-room/history?accessToken=${minted.token}`, { headers: { authorization: `Bearer ${t.subscribeKey}` } });
  assert.equal(history.status, 200);
  ws.close();
});

test('a revoked key closes its live connections within 5 s on every gateway', async () => {
  const t = await createTenant(stack.apiUrl);
  const clients = await Promise.all([0, 1].map((n) => WsClient.connect(stack.wsUrl(n), t.commonKey)));
  const sse = new AbortController();
  const stream = await fetch(`${stack.gateways[1].url}/sse?appkey=${t.commonKey}&channel=c`, { signal: sse.signal });
  const keys = await callOk<Array<{ id: string; kind: string }>>(stack.apiUrl, 'GET', `/v1/apps/${t.appId}/keys`, { token: t.token });
  const common = keys.find((k) => k.kind === 'common')!;
  const revokedAt = Date.now();
  await callOk(stack.apiUrl, 'POST', `/v1/apps/${t.appId}/keys/${common.id}/revoke`, { token: t.token });
  for (const c of clients) assert.equal(await c.waitClosed(5_000), 4402);
  const text = await stream.text();
  assert.match(text, /event: disconnect\ndata: \{"type":"disconnect","code":4402,"reason":"key_revoked/);
  assert.ok(Date.now() - revokedAt < 5_000);
  sse.abort();
});

test('origins: refused before any message on WebSocket, SSE and long-polling; no Origin is fine', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'pro', allowedOrigins: ['https://app.example'] });
  const gw = stack.gateways[0].url;
  const evil = { origin: 'https://evil.example' };
  const ws = await WsClient.connect(stack.wsUrl(0), t.commonKey, { headers: evil });
  assert.equal(await ws.waitClosed(), 4403);
  for (const path of ['/sse', '/poll']) {
    const r = await fetch(`${gw}${path}?appkey=${t.commonKey}&channel=c&wait=0`, { headers: evil });
    assert.deepEqual([r.status, ((await r.json()) as { reason: string }).reason], [403, 'origin_not_allowed'], path);
    const ok = await fetch(`${gw}${path === '/sse' ? '/poll' : path}?appkey=${t.commonKey}&channel=c&wait=0`);
    assert.equal(ok.status, 200);
  }
  const allowed = await fetch(`${gw}/poll?appkey=${t.commonKey}&channel=c&wait=0`, { headers: { origin: 'https://app.example' } });
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
});

test('a 16 MiB frame closes with 1009; the gateway stays small and keeps serving others', async () => {
  const t = await createTenant(stack.apiUrl);
  const pid = stack.gateways[0].proc.pid!;
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  const before = rss();
  const ws = new WebSocket(`${stack.wsUrl(0)}?appkey=${t.commonKey}`);
  await new Promise((r) => ws.once('open', r));
  const closed = new Promise<number>((r) => ws.once('close', (code: number) => r(code)));
  ws.on('error', () => undefined);
  ws.send(Buffer.alloc(16 * 1024 * 1024, 120));
  assert.equal(await closed, 1009);
  assert.ok(rss() - before < 20 * 1024 * 1024, `RSS grew by ${((rss() - before) / 1048576).toFixed(1)} MiB`);
  const other = await WsClient.connect(stack.wsUrl(0), t.commonKey);
  assert.equal((await other.subscribe('c')).type, 'subscribed');
  other.close();
});

test('cross-tenant fuzz: thousands of hostile channel names never carry another tenant’s message', async () => {
  const a = await createTenant(stack.apiUrl);
  const b = await createTenant(stack.apiUrl);
  const names = hostileNames(a.appId, b.appId, 2000);
  // A listens on every name it may subscribe to, over four connections (500 channels each on demo).
  const listeners: WsClient[] = [];
  let accepted = 0;
  for (let i = 0; i < names.length; i += 500) {
    const c = await WsClient.connect(stack.wsUrl(i % 2), a.commonKey);
    listeners.push(c);
    for (const channel of names.slice(i, i + 500)) c.send({ type: 'subscribe', id: channel, channel });
    await waitFor(() => c.frames.filter((f) => f.type === 'subscribed' || f.type === 'error').length >= Math.min(500, names.length - i), { timeoutMs: 30_000 });
    accepted += c.frames.filter((f) => f.type === 'subscribed').length;
  }
  assert.ok(accepted > 1000, `only ${accepted} names were valid`);
  // B publishes a canary on every name (invalid ones are refused), then A publishes one marker.
  const pub = await WsClient.connect(stack.wsUrl(1), b.commonKey);
  for (const channel of names) pub.send({ type: 'publish', id: channel, channel, message: 'B canary' });
  await waitFor(() => pub.frames.filter((f) => f.type === 'reply' || f.type === 'error').length === names.length, { timeoutMs: 30_000, what: 'all canaries answered' });
  const published = pub.frames.filter((f) => f.type === 'reply').length;
  assert.ok(published > 1000);
  await restPublish(stack.apiUrl, a.secret, { channel: names.find((n) => /^[A-Za-z0-9]+$/.test(n))!, message: 'A marker' });
  await waitFor(() => listeners.some((c) => c.messages().length > 0), { what: 'A marker' });
  const received = listeners.flatMap((c) => c.messages());
  assert.deepEqual(received.map((m) => m.content), ['A marker']);
  // Reads across tenants: A's history of B's busiest names is empty.
  for (const name of names.slice(0, 50)) {
    const hist = await call<{ messages?: Array<{ content: unknown }> }>(stack.apiUrl, 'GET', `/v1/channels/${encodeURIComponent(name)}/history`, { token: a.secret });
    // refused (400), not routed (404: '..' is resolved by the URL), or empty — never B's canary
    assert.ok(hist.status === 400 || hist.status === 404 || hist.status === 200, `${name}: ${hist.status}`);
    if (hist.status === 200) assert.ok(hist.body.messages!.every((m) => m.content !== 'B canary'), `${name}: B's message in A's history`);
  }
  for (const c of [...listeners, pub]) c.close();
});

/** Names a hostile tenant would try: the victim's app id, separators, wildcards, traversal, encodings. */
function hostileNames(victim: string, attacker: string, count: number): string[] {
  const seeds = [
    victim, attacker, `${victim}|lobby`, `${victim}:lobby`, `${victim}.lobby`, '*', '#', '>', '..', '../lobby', '%2e%2e', '%7C', 'lobby%00',
    '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'lobby', 'LOBBY', 'lobby ', ' lobby', 'ⅼobby', 'lоbby', 'lobby\u200b',
    'x'.repeat(164), 'x'.repeat(165), '', '{tag}', 'a{b}c', 'fan:x', 'herald:', '$', 'null', 'undefined', 'private-lobby', 'presence-lobby',
  ];
  const out = new Set<string>(seeds);
  // Mostly names that are valid (so they really reach the channel layer), some with hostile characters.
  const valid = 'aB0_-=@,.;:!';
  const hostile = '|*{}%/\\ \u0000é';
  for (let i = 0; out.size < count; i++) {
    const alphabet = i % 5 === 0 ? valid + hostile : valid;
    let s = '';
    const len = 1 + ((i * 7919) % 40);
    for (let j = 0; j < len; j++) s += alphabet[(i * 31 + j * 17 + Math.floor(i / 7)) % alphabet.length];
    out.add(i % 3 === 0 ? `${victim.slice(0, (i % 16) + 1)}${s}` : `${s}${i}`);
  }
  return [...out].slice(0, count);
}

test('user-bound tokens work for every read on that user’s connection, and only there', async () => {
  const t = await createTenant(stack.apiUrl);
  const tok = await token(t, { id: 'ann' });
  const ann = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'ann' } });
  const bob = await WsClient.connect(stack.wsUrl(0), t.commonKey, { query: { id: 'bob' } });
  for (const type of ['history', 'herenow', 'presence_subscribe']) {
    assert.equal((await ann.request({ type, channel: 'private-room', accessToken: tok })).type, 'reply', type);
    assert.equal((await bob.request({ type, channel: 'private-room', accessToken: tok })).reason, 'invalid_token', type);
  }
  const http = await fetch(`${stack.gateways[1].url}/history?appkey=${t.commonKey}&channel=private-room&id=ann&token=${tok}`);
  assert.equal(http.status, 200);
  // An SSE stream whose every channel is refused ends instead of idling.
  const sse = await fetch(`${stack.gateways[1].url}/sse?appkey=${t.commonKey}&channel=private-room`, { headers: { origin: 'https://page.example' } });
  const text = await sse.text();
  assert.match(text, /event: herald-error\n.*"reason":"token_required"/);
  assert.match(text, /event: disconnect\ndata: \{"type":"disconnect","code":4400/);
  const refused = await fetch(`${stack.gateways[1].url}/poll?appkey=nope&channel=c`, { headers: { origin: 'https://page.example' } });
  assert.equal(refused.headers.get('access-control-allow-origin'), 'https://page.example'); // the page can read why
  ann.close();
  bob.close();
});
