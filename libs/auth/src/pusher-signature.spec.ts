import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pusherHmac, pusherSignatureValid } from './pusher-signature.js';

// Pusher's documented example (auth-signatures page): key 278d425bdf160c739803, secret 7ad3773142a6692b25b8.
const SECRET = '7ad3773142a6692b25b8';

test("a private channel's signature is Pusher's documented one", () => {
  assert.equal(pusherHmac(SECRET, '1234.1234:private-foobar'), '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4');
});

test('signatures are checked against every usable secret; anything else is refused', () => {
  const sig = pusherHmac(SECRET, '1.2:private-a');
  assert.equal(pusherSignatureValid(['other', SECRET], '1.2:private-a', sig), true);
  assert.equal(pusherSignatureValid([SECRET], '1.2:private-b', sig), false);
  assert.equal(pusherSignatureValid([SECRET], '1.2:private-a', sig.slice(0, -1)), false);
  assert.equal(pusherSignatureValid([], '1.2:private-a', sig), false);
});
