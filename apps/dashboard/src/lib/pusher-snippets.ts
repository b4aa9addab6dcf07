/** Where a Pusher client or server library connects: host, port and scheme of a URL. */
export interface Endpoint {
  host: string;
  port: string;
  scheme: 'http' | 'https';
}

export function endpointOf(url: string): Endpoint {
  const u = new URL(url);
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  return { host: u.hostname, port: u.port || (scheme === 'https' ? '443' : '80'), scheme };
}

export interface PusherCredentials {
  appId: string;
  key: string;
  /** The revealed secret, or a placeholder that says how to get it. */
  secret: string;
  /** The gateway (pusher-js, Echo): WebSocket `/app/{key}`. */
  ws: Endpoint;
  /** The API (server libraries): `/apps/{app_id}/…`. */
  api: Endpoint;
  /** The gateway's base URL, which serves /sdk/herald-pusher.js. */
  gatewayUrl: string;
}

/** Ready snippets for moving a Pusher, Soketi or Reverb app to Herald (docs/pusher.md). */
export function pusherSnippets(c: PusherCredentials) {
  const tls = c.ws.scheme === 'https';
  const pusherJs = `<script src="/js/pusher.min.js"></script> <!-- pusher-js 8: dist/web/pusher.min.js of its npm package -->
<script src="${c.gatewayUrl}/sdk/herald-pusher.js"></script>
<script>
  const pusher = new Pusher('${c.key}', {
    cluster: 'herald',              // required by pusher-js, unused with wsHost
    wsHost: '${c.ws.host}',
    ${tls ? 'wssPort' : 'wsPort'}: ${c.ws.port},
    forceTLS: ${tls},
    enabledTransports: ['ws', 'wss'],
    disableStats: true,
    channelAuthorization: { endpoint: '/pusher/auth' }, // your server, as with Pusher
  });
  HeraldPusher.withHeraldReplay(pusher); // optional: channels resume after a reconnect, nothing lost
  pusher.subscribe('orders').bind('shipped', (data) => console.log(data));
</script>`;
  const clientEnv = (prefix: 'PUSHER' | 'REVERB') => `VITE_${prefix}_APP_KEY="\${${prefix}_APP_KEY}"
VITE_${prefix}_HOST=${c.ws.host}
VITE_${prefix}_PORT=${c.ws.port}
VITE_${prefix}_SCHEME=${c.ws.scheme}`;
  const pusherEnv = `BROADCAST_CONNECTION=pusher
PUSHER_APP_ID=${c.appId}
PUSHER_APP_KEY=${c.key}
PUSHER_APP_SECRET=${c.secret}
PUSHER_HOST=${c.api.host}
PUSHER_PORT=${c.api.port}
PUSHER_SCHEME=${c.api.scheme}
PUSHER_APP_CLUSTER=herald

${clientEnv('PUSHER')}
VITE_PUSHER_APP_CLUSTER="\${PUSHER_APP_CLUSTER}"`;
  const reverbEnv = `BROADCAST_CONNECTION=reverb
REVERB_APP_ID=${c.appId}
REVERB_APP_KEY=${c.key}
REVERB_APP_SECRET=${c.secret}
REVERB_HOST=${c.api.host}
REVERB_PORT=${c.api.port}
REVERB_SCHEME=${c.api.scheme}

${clientEnv('REVERB')}`;
  const echo = `// resources/js/echo.js (add <script src="${c.gatewayUrl}/sdk/herald-pusher.js"> to your layout for replay)
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

window.Pusher = Pusher;
window.Echo = new Echo({
  broadcaster: 'pusher',
  key: import.meta.env.VITE_PUSHER_APP_KEY,
  cluster: import.meta.env.VITE_PUSHER_APP_CLUSTER,
  wsHost: import.meta.env.VITE_PUSHER_HOST,
  wsPort: import.meta.env.VITE_PUSHER_PORT,
  wssPort: import.meta.env.VITE_PUSHER_PORT,
  forceTLS: import.meta.env.VITE_PUSHER_SCHEME === 'https',
  enabledTransports: ['ws', 'wss'],
  disableStats: true,
});
window.HeraldPusher?.withHeraldReplay(window.Echo.connector.pusher);`;
  const node = `import Pusher from 'pusher';

const pusher = new Pusher({
  appId: '${c.appId}',
  key: '${c.key}',
  secret: '${c.secret}',
  host: '${c.api.host}',
  port: '${c.api.port}',
  useTLS: ${c.api.scheme === 'https'},
});
await pusher.trigger('orders', 'shipped', { id: 42 });
// your auth endpoint for private channels:
// res.send(pusher.authorizeChannel(req.body.socket_id, req.body.channel_name));`;
  return { pusherJs, pusherEnv, reverbEnv, echo, node };
}
