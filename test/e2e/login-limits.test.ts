import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { call, callFrom, createTenant, restPublish, startStack, testSettings, waitFor, type Reply, type Stack } from '@herald/testing';

// Issue 13 item 3: every log-in is an argon2id hash (64 MiB, t=3) and nothing limited them, so 32 wrong
// log-ins took the API's /health from 3 ms to 4.4 s. Three stacks, none depending on how fast a hash is:
// the default account limit (10) in a long window (ten hashes on a loaded CI machine took longer than
// the 12 s window this test once used); small per-address limits in a long window, so counts never
// straddle a window; and one failure per short window, to wait the window out.
const LONG_WINDOW_MS = 600_000;
const SHORT_WINDOW_MS = 3_000;
let stack: Stack;
let small: Stack;
let brief: Stack;
before(async () => {
  [stack, small, brief] = await Promise.all([
    startStack({ gateways: 0, env: { HERALD_LOGIN_WINDOW_MS: String(LONG_WINDOW_MS), HERALD_PASSWORD_HASH_WAIT_MS: '60000' } }),
    startStack({ gateways: 0, workers: 0, env: { HERALD_LOGIN_WINDOW_MS: String(LONG_WINDOW_MS), HERALD_LOGIN_ADDRESS_ATTEMPTS: '5', HERALD_SIGNUP_ADDRESS_ATTEMPTS: '3' } }),
    startStack({ gateways: 0, workers: 0, env: { HERALD_LOGIN_WINDOW_MS: String(SHORT_WINDOW_MS), HERALD_LOGIN_ACCOUNT_FAILURES: '1' } }),
  ]);
});
after(async () => {
  await Promise.all([stack?.stop(), small?.stop(), brief?.stop()]);
});

/** What "answers promptly" means on a loaded CI machine (the flood made it seconds before). */
const PROMPT_MS = testSettings().promptMs;
const email = () => `u-${randomBytes(6).toString('hex')}@test.herald`;
const login = (address: string, password: string, on = stack) => call(on.apiUrl, 'POST', '/v1/sessions', { json: { email: address, password } });
const reasonOf = (r: Reply) => `${r.status} ${(r.body as { reason?: string }).reason}`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('/health and a publish answer promptly while 32 log-ins are in flight (hashes are bounded, not the requests)', async () => {
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
  // Waiting for a hash is allowed a minute here: each of them is answered, none refused for load (hash-gate.spec covers the 503).
  assert.deepEqual([...new Set(answers.map(reasonOf))], ['401 invalid_credentials']);
});

test('the 11th failed log-in of an account gets 429 with Retry-After, even with the right password; another account is unaffected', async () => {
  const address = email();
  assert.equal((await call(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: address, password: 'right-password' } })).status, 201);
  for (let i = 0; i < 10; i++) assert.equal(reasonOf(await login(address, `wrong-${i}`)), '401 invalid_credentials', `attempt ${i + 1}`);
  const eleventh = await login(address, 'wrong-10');
  assert.equal(reasonOf(eleventh), '429 rate_limited');
  const retryAfter = Number(eleventh.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= LONG_WINDOW_MS / 1000, `Retry-After: ${retryAfter}`);
  assert.equal(reasonOf(await login(address, 'right-password')), '429 rate_limited', 'locked: no hash is even tried');
  // Another account from the same address is unaffected.
  const other = email();
  assert.equal((await call(stack.apiUrl, 'POST', '/v1/accounts', { json: { email: other, password: 'right-password' } })).status, 201);
  assert.equal((await login(other, 'right-password')).status, 201);
});

test('after the window a locked account logs in again, and a success forgets its failures', async () => {
  const address = email();
  assert.equal((await call(brief.apiUrl, 'POST', '/v1/accounts', { json: { email: address, password: 'right-password' } })).status, 201);
  // One failure locks it (HERALD_LOGIN_ACCOUNT_FAILURES=1); the lock is checked before any hash, so the
  // next attempt is refused within milliseconds of the failure being counted, well inside the window.
  assert.equal(reasonOf(await login(address, 'wrong-1', brief)), '401 invalid_credentials');
  assert.equal(reasonOf(await login(address, 'right-password', brief)), '429 rate_limited');
  await waitFor(async () => (await login(address, 'right-password', brief)).status === 201, { timeoutMs: SHORT_WINDOW_MS + 15_000, intervalMs: 500, what: 'a log-in after the window' });
  // A success forgets the failures: the next wrong one is 401 again, not 429.
  assert.equal(reasonOf(await login(address, 'wrong-again', brief)), '401 invalid_credentials');
});

test('sign-ups and log-ins per client address are limited (429 rate_limited with Retry-After)', async () => {
  const signup = () => call(small.apiUrl, 'POST', '/v1/accounts', { json: { email: email(), password: 'password-123' } });
  for (let i = 0; i < 3; i++) assert.equal((await signup()).status, 201, `sign-up ${i + 1}`);
  const fourth = await signup();
  assert.equal(reasonOf(fourth), '429 rate_limited');
  assert.ok(Number(fourth.headers.get('retry-after')) > 500, `Retry-After ${fourth.headers.get('retry-after')}: the rest of the window`);

  const loginOn = (address: string) => call(small.apiUrl, 'POST', '/v1/sessions', { json: { email: address, password: 'wrong-password' } });
  for (let i = 0; i < 5; i++) assert.equal(reasonOf(await loginOn(email())), '401 invalid_credentials', `log-in ${i + 1}`);
  const sixth = await loginOn(email());
  assert.equal(reasonOf(sixth), '429 rate_limited');
  assert.ok(Number(sixth.headers.get('retry-after')) > 500);
  const burst = await Promise.all(Array.from({ length: 20 }, () => loginOn(email())));
  assert.deepEqual([...new Set(burst.map(reasonOf))], ['429 rate_limited']);
});

test('no proxy trusted (HERALD_TRUST_PROXY unset): a client writing its own X-Forwarded-For cannot dodge the per-address limit', async () => {
  // From an address of its own (127.0.0.9: loopback, yet not the other tests' 127.0.0.1), so its budget starts empty.
  const signup = (forwarded: string) =>
    callFrom('127.0.0.9', small.apiUrl, 'POST', '/v1/accounts', { json: { email: email(), password: 'password-123' }, headers: { 'x-forwarded-for': forwarded } });
  for (let i = 0; i < 3; i++) assert.equal((await signup(`198.51.100.${i}`)).status, 201, `sign-up ${i + 1}`);
  for (const forwarded of ['198.51.100.99', '127.0.0.1', '203.0.113.5, 198.51.100.7', 'garbage']) {
    assert.equal(reasonOf(await signup(forwarded)), '429 rate_limited', `X-Forwarded-For: ${forwarded}`);
  }
});
