import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { callFrom, startStack, type Reply, type Stack } from '@herald/testing';
import { startNginx, type Nginx } from './nginx-proxy.js';

// deploy/nginx/herald.conf in front of an API told to trust it (HERALD_TRUST_PROXY=127.0.0.1, nginx's
// address here): the per-address sign-up limit counts each client, by the address nginx appends to
// X-Forwarded-For, not nginx's own. Clients are told apart by their source address (127.0.0.2, .3, …,
// all loopback on Linux) as nginx sees it: the header is nginx's to write, not the test's.
const SIGNUPS = 2;
let stack: Stack;
let nginx: Nginx;
before(async () => {
  stack = await startStack({
    gateways: 1,
    workers: 0,
    env: { HERALD_TRUST_PROXY: '127.0.0.1', HERALD_SIGNUP_ADDRESS_ATTEMPTS: String(SIGNUPS), HERALD_LOGIN_WINDOW_MS: '600000' },
  });
  nginx = await startNginx({ gateways: stack.gateways.map((g) => g.port), api: [stack.api.port] });
});
after(async () => {
  await nginx?.stop();
  await stack?.stop();
});

const email = () => `u-${randomBytes(6).toString('hex')}@test.herald`;
const reasonOf = (r: Reply) => (r.status === 201 ? '201' : `${r.status} ${(r.body as { reason?: string }).reason}`);
/** A sign-up from `client` to `base` (nginx or the API itself), with the headers the client chose. */
const signup = async (client: string, base: string, headers?: Record<string, string>) =>
  reasonOf(await callFrom(client, base, 'POST', '/v1/accounts', { json: { email: email(), password: 'password-123' }, headers }));

test('behind nginx, two clients do not share a sign-up budget: each is counted by its own address', async () => {
  for (let i = 1; i <= SIGNUPS; i++) assert.equal(await signup('127.0.0.2', nginx.url), '201', `client A, sign-up ${i}`);
  assert.equal(await signup('127.0.0.2', nginx.url), '429 rate_limited', 'client A over its budget');
  // Counted as nginx (the peer), B would be refused at once: it has a budget of its own.
  for (let i = 1; i <= SIGNUPS; i++) assert.equal(await signup('127.0.0.3', nginx.url), '201', `client B, sign-up ${i}`);
  assert.equal(await signup('127.0.0.3', nginx.url), '429 rate_limited', 'client B over its budget');
});

test('behind nginx, a client writing its own X-Forwarded-For is still counted by the address nginx saw', async () => {
  const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}, 127.0.0.1` });
  for (let i = 1; i <= SIGNUPS; i++) assert.equal(await signup('127.0.0.4', nginx.url, spoofed(i)), '201', `sign-up ${i}`);
  assert.equal(await signup('127.0.0.4', nginx.url, spoofed(99)), '429 rate_limited', 'a new forwarded address is no new budget');
});

test('straight to the API (past nginx), X-Forwarded-For from an untrusted peer is ignored', async () => {
  const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
  for (let i = 1; i <= SIGNUPS; i++) assert.equal(await signup('127.0.0.5', stack.apiUrl, spoofed(i)), '201', `sign-up ${i}`);
  assert.equal(await signup('127.0.0.5', stack.apiUrl, spoofed(99)), '429 rate_limited');
});
