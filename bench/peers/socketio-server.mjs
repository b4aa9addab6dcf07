// The Socket.IO peer: Socket.IO 4 with @socket.io/redis-adapter, one of several processes sharing a
// Redis (its own key prefix). A client connects with the query `channel=<c>` and is joined to that room;
// POST /pub?channel=<c> with the message as the body does io.to(channel).emit('message', body).
//   node bench/peers/socketio-server.mjs <port> <redisUrl> <keyPrefix>
import http from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';

const [port, redisUrl, key] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const server = http.createServer();
const io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, adapter: createAdapter(pub, sub, { key }) });
io.on('connection', (socket) => {
  const channel = socket.handshake.query.channel;
  if (typeof channel === 'string') socket.join(channel);
});
server.on('request', (req, res) => {
  if (req.url.startsWith('/socket.io/')) return; // Socket.IO's own handler answers
  const url = new URL(req.url, 'http://x');
  if (req.method !== 'POST' || url.pathname !== '/pub') return res.writeHead(404).end();
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    io.to(url.searchParams.get('channel')).emit('message', Buffer.concat(chunks).toString());
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.keepAliveTimeout = 60_000;
Promise.all([new Promise((r) => pub.once('ready', r)), new Promise((r) => sub.once('ready', r))]).then(() =>
  server.listen(port, '127.0.0.1', () => process.send?.('ready') ?? console.log('ready')),
);
