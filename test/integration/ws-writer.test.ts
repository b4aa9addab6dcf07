import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { waitFor } from '@herald/testing';
import { OutboundFrame } from '../../apps/gateway/src/session/outbound-frame.js';
import { writeWsFrame } from '../../apps/gateway/src/ws/ws-writer.js';

// The gateway's WebSocket fan-out writes pre-built frame bytes straight to the socket, relying on two
// `ws` internals: this test pins that the fast path is taken with the `ws` version installed, and that
// what arrives is exactly what `ws.send` would have produced, in order with frames `ws` sent itself.
let wss: WebSocketServer;
let server: WebSocket;
let client: WebSocket;
const received: string[] = [];

before(async () => {
  wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const accepted = once(wss, 'connection');
  client = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
  client.on('message', (d) => received.push(d.toString()));
  [server] = (await accepted) as [WebSocket];
  await once(client, 'open');
});

after(() => {
  client.close();
  wss.close();
});

test('frames of every size go out on the direct path and arrive intact, in order with ws.send', async () => {
  const sizes = [0, 1, 125, 126, 1000, 65_535, 65_536, 200_000];
  const frames = sizes.map((n, i) => OutboundFrame.fromText('message', JSON.stringify({ i, pad: 'x'.repeat(n) })));
  const paths: string[] = [];
  for (const [i, f] of frames.entries()) {
    paths.push(writeWsFrame(server, f));
    if (i === 3) server.send(JSON.stringify({ i: 'by ws' }));
  }
  assert.ok(paths.every((p) => p === 'direct'), `paths: ${paths.join(',')}`);
  await waitFor(() => received.length === frames.length + 1, { what: 'every frame' });
  const expected = frames.map((f) => f.text());
  expected.splice(4, 0, JSON.stringify({ i: 'by ws' }));
  assert.deepEqual(received, expected);
});

test('one frame object serves many sockets: its bytes are built once', () => {
  const f = OutboundFrame.fromText('message', '{"a":1}');
  assert.equal(f.ws(), f.ws());
  assert.deepEqual([...f.ws().subarray(0, 2)], [0x81, 7]);
  assert.equal(f.sseMessageChunk('id: x\n'), f.sseMessageChunk('id: x\n'));
  assert.equal(f.sseMessageChunk('id: x\n').toString(), '15\r\nid: x\ndata: {"a":1}\n\n\r\n');
});
