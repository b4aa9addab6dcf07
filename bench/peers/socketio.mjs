// The Socket.IO peer as a bench target: 2 processes (bench/peers/socketio-server.mjs) on separate ports
// sharing Redis through @socket.io/redis-adapter under a key prefix of their own; clients split across
// them, publishes go to one of them in turn (the adapter relays to the other through Redis).
import { freePort, httpPoster } from '../load/http.mjs';
import { forkServer, killChild } from './process.mjs';

export async function startSocketIo({ redisUrl, processes = 2 }) {
  const key = `bench-sio-${Date.now().toString(36)}`;
  const ports = [];
  for (let k = 0; k < processes; k++) ports.push(await freePort());
  const children = await Promise.all(ports.map((p) => forkServer('socketio-server.mjs', [p, redisUrl, key])));
  const posters = ports.map((p) => httpPoster(p));
  let turn = 0;
  return {
    name: 'socketio',
    label: 'Socket.IO',
    transports: ['ws'],
    usesRedis: true,
    conn: (transport, channel, i) => ({ kind: 'socketio', url: `http://127.0.0.1:${ports[i % ports.length]}`, channel }),
    publish: (channel, payload) => posters[turn++ % posters.length].post(`/pub?channel=${encodeURIComponent(channel)}`, payload),
    pids: () => Object.fromEntries(children.map((c, k) => [`socketio-${k + 1}`, c.pid])),
    stop: async () => {
      posters.forEach((p) => p.close());
      await Promise.all(children.map((c) => killChild(c)));
    },
    /** Fresh processes (S1 measures memory from a clean start): this object takes the new one's place. */
    async restart() {
      await this.stop();
      Object.assign(this, await startSocketIo({ redisUrl, processes }));
    },
  };
}
