import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pusherHmac } from '@herald/auth';
import { stringToSign } from './pusher-request-auth.js';

// Pusher's documented HTTP API example (REST API authentication page): app 3, key 278d425bdf160c739803,
// secret 7ad3773142a6692b25b8, timestamp 1353088179.
const BODY = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';

test("the string to sign and its signature are Pusher's documented ones", () => {
  const md5 = createHash('md5').update(BODY).digest('hex');
  assert.equal(md5, 'ec365a775a4cd0599faeb73354201b6f');
  // Parameters out of order and in mixed case, the signature among them: sorted, lower-cased, left out.
  const query = new URLSearchParams({ body_md5: md5, auth_version: '1.0', AUTH_KEY: '278d425bdf160c739803', auth_timestamp: '1353088179', auth_signature: 'x' });
  const text = stringToSign({ method: 'POST', path: '/apps/3/events', query, body: Buffer.from(BODY) });
  assert.equal(text, `POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=${md5}`);
  assert.equal(pusherHmac('7ad3773142a6692b25b8', text), 'da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c');
});
