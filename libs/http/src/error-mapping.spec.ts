import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';
import { mapError } from './error-mapping.js';

test('HeraldError keeps its reason, code and text', () => {
  const m = mapError(new HeraldError('key_revoked'));
  assert.deepEqual(m, { status: 401, body: { code: 401, content: 'App key revoked', reason: 'key_revoked' }, unexpected: false });
});

test('body-parser failures map to invalid_json and payload_too_large', () => {
  const syntax = Object.assign(new SyntaxError('Unexpected end'), { status: 400, type: 'entity.parse.failed' });
  assert.equal(mapError(new BadRequestException('Unexpected end', { cause: syntax })).body.reason, 'invalid_json');
  const big = mapError(new PayloadTooLargeException('request entity too large'));
  assert.equal(big.status, 413);
  assert.equal(big.body.reason, 'payload_too_large');
});

test('404, other 4xx and validation messages', () => {
  assert.deepEqual(mapError(new NotFoundException('Cannot GET /x')).body, { code: 404, content: 'No route GET /x', reason: 'not_found' });
  assert.equal(mapError(new HttpException('Unsupported', 415)).body.reason, 'invalid_request');
  assert.equal(mapError(new HttpException('Unsupported', 415)).status, 400);
  assert.equal(mapError(new BadRequestException(['a must be x', 'b must be y'])).body.content, 'a must be x; b must be y');
});

test('unknown errors are 500 internal_error without details', () => {
  const m = mapError(new Error('db password is hunter2'));
  assert.deepEqual(m.body, { code: 500, content: 'Internal error', reason: 'internal_error' });
  assert.equal(m.unexpected, true);
});

test('a store out of reach (a Redis Cluster shard failing over included) is 503 unavailable with Retry-After 1', () => {
  for (const message of ['Connection is closed.', 'CLUSTERDOWN The cluster is down', 'Too many Cluster redirections. Last error: Error: Connection is closed.', 'Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.']) {
    const m = mapError(new Error(message));
    assert.deepEqual([m.status, m.body.reason, m.retryAfter, m.unexpected], [503, 'unavailable', 1, false], message);
  }
});
