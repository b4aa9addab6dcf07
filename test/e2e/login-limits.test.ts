import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { call, createTenant, restPublish, startStack, waitFor, type Reply, type Stack } from '@herald/testing';

// Issue 13 item 3: every log-in is an argon2id hash (64 MiB, t=3) and nothing limited them, so 32 wrong
// log-ins took the API's /health from 3 ms to 4.4 s. A short window so "after the window" is seconds;
// the account limit is the default (10); small address limits so they can be reached.
const WINDOW_MS = 4_000;
let stack: Stack;
before(async () => {
  stack = await startStack({
    gateways: 0,
    env: { HERALD_LOGIN_WINDOW_MS: String(WINDOW_MS), HERALD_LOGIN_ADDRESS_ATTEMPTS: '80', HERALD_SIGNUP_ADDRESS_ATTEMPTS: '6' },
  });
});
after(async () => {
  await stack.stop();
});

/** What "answers promptly" means on a loaded CI machine (the flood made it seconds before). */
const PROMPT_MS = Number(process.env.HERALD_TEST_PROMPT_MS ?? 750);
const email = () => `u-${randomBytes(6).toString('hex')}@test.herald`;
const login = (address: string, password: string) => call(stack.apiUrl, 'POST', '/v1/sessions', { json: { email: address, password } });
const reasonOf = (r: Reply) => `${r.status} ${(r.body as { reason?: string }).reason}`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('/health and a publish answer promptly while 32 log-ins are in flight; excess log-ins are shed with Retry-After', async () => {
  const t = await createTenant(stack.apiUrl, { planId: 'free' });
  let inFlight = 32;
  const flood = Promise.all(
    Array.from({ length: 32 }, () =>
      login(email(), 'wrong-password').finally(() => inFlight--),
    ),
  );
  const health: number[] = [];
  const publishes: number[] = [];
  // Sample while (nearly) all of them are still under way.
  while (inFlight > 8 && health.length < 20) {
    health.push(await timed(async () => assert.equal((await fetch(`${stack.apiUrl}/health`)).status, 200)));
    publishes.push(await timed(() => restPublish(stack.apiUrl, t.secret, { channel: 'c', message: health.length })));
  }
  const answers = await flood;
  assert.ok(health.length >= 3, `sampled ${health.length} times while the log-ins ran`);
  assert.ok(median(health) < PROMPT_MS, `/health median ${median(health).toFixed(0)} ms during the flood: ${health.map((x) => x.toFixed(0)).join(', ')}`);
  assert.ok(median(publishes) < PROMPT_MS, `publish median ${median(publishes).toFixed(0)} ms during the flood`);
  for (const a of answers) {
    assert.ok(['401 invalid_credentials', '503 unavailable'].includes(reasonOf(a)), reasonOf(a));
    if (a.status === 503) assert.equal(a.headers.get('retry-after'), '1');
  }
});

test('the 11th failed log-in of an account gets 429 with Retry-After, even with the right password; after the window it works', async () => {
  const address = email();
  assert.equal((await call(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: address, password: 'right-password' } })).status, 201);
  for (let i = 0; i < 10; i++) assert.equal(reasonOf(await login(address, `wrong-${i}`)), '401 invalid_credentials', `attempt ${i + 1}`);
  const eleventh = await login(address, 'wrong-10');
  assert.equal(reasonOf(eleventh), '429 rate_limited');
  const retryAfter = Number(eleventh.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000, `Retry-After: ${retryAfter}`);
  assert.equal(reasonOf(await login(address, 'right-password')), '429 rate_limited', 'locked: no hash is even tried');
  // Another account from the same address is unaffected.
  const other = email();
  assert.equal((await call(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: other, password: 'right-password' } })).status, 201);
  assert.equal((await login(other, 'right-password')).status, 201);

  await waitFor(async () => (await login(address, 'right-password')).status === 201, { timeoutMs: WINDOW_MS + 10_000, intervalMs: 500, what: 'a log-in after the window' });
  // A success forgets the failures: the next wrong one is 401 again, not 429.
  assert.equal(reasonOf(await login(address, 'wrong-again')), '401 invalid_credentials');
});

test('sign-ups and log-ins per client address are limited (429 rate_limited with Retry-After)', async () => {
  // Whatever signed up in this window before, 7 more sign-ups pass a limit of 6.
  const signups = await Promise.all(Array.from({ length: 7 }, () => call(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: email(), password: 'password-123' } })));
  const refused = signups.filter((r) => r.status === 429);
  assert.ok(refused.length >= 1, signups.map(reasonOf).join(', '));
  assert.ok(refused.every((r) => reasonOf(r) === '429 rate_limited' && Number(r.headers.get('retry-after')) >= 1));

  // 100 log-ins of 100 different emails at once: the address limit (80) refuses the rest before any hash.
  const logins = await Promise.all(Array.from({ length: 100 }, () => login(email(), 'wrong-password')));
  const limited = logins.filter((r) => reasonOf(r) === '429 rate_limited');
  assert.ok(limited.length >= 20, logins.map(reasonOf).join(', '));
  assert.ok(limited.every((r) => Number(r.headers.get('retry-after')) >= 1));
});
