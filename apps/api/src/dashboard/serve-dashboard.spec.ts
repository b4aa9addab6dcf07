import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardCsp, isReserved, isSpaRoute } from './serve-dashboard.js';

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

test('the dashboard CSP allows its own scripts and the public gateway (http and ws), nothing else', () => {
  const csp = dashboardCsp('http://localhost:3001');
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self' http:\/\/localhost:3001 ws:\/\/localhost:3001(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(dashboardCsp('https://push.example.com'), /connect-src 'self' https:\/\/push\.example\.com wss:\/\/push\.example\.com(;|$)/);
  assert.match(dashboardCsp('not a url'), /connect-src 'self'(;|$)/);
});
