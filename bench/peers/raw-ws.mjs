// The raw `ws` peer as a bench target: one process (bench/peers/raw-ws-server.mjs), WebSocket only.
import { freePort, httpPoster } from '../load/http.mjs';
import { forkServer, killChild } from './process.mjs';

export async function startRawWs() {
  const port = await freePort();
  const child = await forkServer('raw-ws-server.mjs', [port]);
  const poster = httpPoster(port);
  return {
    name: 'raw-ws',
    label: 'raw ws',
    transports: ['ws'],
    usesRedis: false,
    conn: (transport, channel) => ({ kind: 'peer-ws', url: `ws://127.0.0.1:${port}/ws?channel=${encodeURIComponent(channel)}`, channel }),
    publish: (channel, payload) => poster.post(`/pub?channel=${encodeURIComponent(channel)}`, payload),
    pids: () => ({ 'raw-ws': child.pid }),
    stop: async () => (poster.close(), killChild(child)),
    /** Fresh processes (S1 measures memory from a clean start): this object takes the new one's place. */
    async restart() {
      await this.stop();
      Object.assign(this, await startRawWs());
    },
  };
}
