import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originAllowed } from './origin-policy.js';

const app = (allowedOrigins: string[], anyOrigin = false) => ({ allowedOrigins, plan: { anyOrigin } as never });

test('an empty list or an any-origin plan allows every origin', () => {
  assert.equal(originAllowed(app([]), 'https://evil.example', 'http://localhost:3000'), true);
  assert.equal(originAllowed(app(['https://a.com'], true), 'https://evil.example', 'http://localhost:3000'), true);
});

test('a listed origin and the dashboard pass, others are refused', () => {
  const a = app(['https://a.com']);
  assert.equal(originAllowed(a, 'https://a.com', 'http://localhost:3000'), true);
  assert.equal(originAllowed(a, 'HTTPS://A.COM', 'http://localhost:3000'), true);
  assert.equal(originAllowed(a, 'http://localhost:3000', 'http://localhost:3000'), true);
  assert.equal(originAllowed(a, 'https://b.com', 'http://localhost:3000'), false);
});
