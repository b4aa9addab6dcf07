import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalOrigin } from './origin.js';

test('canonicalOrigin accepts bare origins and canonicalises them', () => {
  assert.equal(canonicalOrigin('https://x.com'), 'https://x.com');
  assert.equal(canonicalOrigin('https://X.com/'), 'https://x.com');
  assert.equal(canonicalOrigin('http://localhost:5173'), 'http://localhost:5173');
  assert.equal(canonicalOrigin('https://x.com:443'), 'https://x.com');
});

test('canonicalOrigin refuses anything that is not an origin', () => {
  for (const bad of ['x.com', 'ftp://x.com', 'https://x.com/path', 'https://x.com?q=1', 'https://u:p@x.com', '*', '', 42]) {
    assert.equal(canonicalOrigin(bad), undefined, String(bad));
  }
});
