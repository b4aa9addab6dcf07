// The raw `ws` peer: the ceiling for one Node process. Subscribers connect to /ws?channel=<c>;
// POST /pub?channel=<c> with the message as the body frames it once (Sender.frame) and
// writes the same buffers to every subscriber's socket between cork/uncork. Run by bench/peers/raw-ws.mjs:
//   node bench/peers/raw-ws-server.mjs <port>
import http from 'node:http';
import { Sender, WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const channels = new Map(); // channel → Set<net.Socket>
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method !== 'POST' || url.pathname !== '/pub') return res.writeHead(404).end();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const subs = channels.get(url.searchParams.get('channel'));
    let n = 0;
    if (subs?.size) {
      const [head, body] = Sender.frame(Buffer.concat(chunks), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
      for (const sock of subs) {
        sock.cork();
        sock.write(head);
        sock.write(body);
        sock.uncork();
        n++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{"delivered":${n}}`);
  });
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
server.on('upgrade', (req, socket, head) => {
  const channel = new URL(req.url, 'http://x').searchParams.get('channel');
  wss.handleUpgrade(req, socket, head, (ws) => {
    const sock = ws._socket;
    let set = channels.get(channel);
    if (!set) channels.set(channel, (set = new Set()));
    set.add(sock);
    ws.on('close', () => set.delete(sock));
    ws.on('error', () => {});
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.send?.('ready') ?? console.log('ready'));
