import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReserved, isSpaRoute } from './serve-dashboard.js';

test('the SPA fallback answers history-API routes and never an API path', () => {
  for (const p of ['/', '/apps', '/apps/app_1/keys', '/login', '/admin', '/apps/new']) assert.equal(isSpaRoute('GET', p), true, p);
  for (const p of ['/v1', '/v1/apps', '/v2/pubsub/publish', '/publish', '/docs', '/docs-json', '/docs/swagger-ui.css', '/health', '/ready', '/metrics'])
    assert.equal(isSpaRoute('GET', p), false, p);
  assert.equal(isSpaRoute('POST', '/apps'), false);
  assert.equal(isSpaRoute('GET', '/assets/missing-abc.js'), false, 'a missing asset is a 404, not index.html');
  assert.equal(isSpaRoute('HEAD', '/apps'), true);
  assert.equal(isReserved('/v10'), false);
  assert.equal(isReserved('/healthz'), false);
});
