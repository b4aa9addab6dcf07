import WebSocket from 'ws';
import PusherJsModule from 'pusher-js';
import PusherServer from 'pusher';
import { waitFor, type Stack, type Tenant } from '@herald/testing';

// pusher-js is CommonJS: Node hands an ES module its class as the default export, where its typings
// (ES-style, under nodenext) see a namespace whose `default` is the class.
const PusherJs = PusherJsModule as unknown as typeof PusherJsModule.default;
export type PusherClient = InstanceType<typeof PusherJs>;

/** A Pusher frame as the gateway sends it (`data` still the JSON string). */
export interface RawEvent {
  event: string;
  channel?: string;
  data: string;
  /** Herald's replay extension on channel events. */
  herald?: { offset: number; epoch: string };
}

/** A bare protocol-7 socket, for what pusher-js hides (frame shapes, close codes). */
export class RawPusher {
  readonly events: RawEvent[] = [];
  closeCode?: number;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => this.events.push(JSON.parse(d.toString('utf8')) as RawEvent));
    ws.on('close', (code: number) => (this.closeCode = code));
  }

  /** `raw`: the key goes into the path as given (escapes included), not encoded. */
  static open(gatewayUrl: string, key: string, opts: { protocol?: string; origin?: string; raw?: boolean } = {}): RawPusher {
    const url = `${gatewayUrl.replace(/^http/, 'ws')}/app/${opts.raw ? key : encodeURIComponent(key)}?protocol=${opts.protocol ?? '7'}&client=js&version=8.6.0`;
    return new RawPusher(new WebSocket(url, { headers: opts.origin ? { origin: opts.origin } : {} }));
  }

  send(event: string, data: unknown): void {
    this.ws.send(JSON.stringify({ event, data }));
  }

  async next(event: string, channel?: string, timeoutMs = 10_000): Promise<RawEvent> {
    let found: RawEvent | undefined;
    await waitFor(() => (found = this.events.find((e) => e.event === event && (channel === undefined || e.channel === channel))) !== undefined, { timeoutMs, what: `${event} ${channel ?? ''}` });
    return found!;
  }

  async closed(timeoutMs = 10_000): Promise<number> {
    await waitFor(() => this.closeCode !== undefined, { timeoutMs, what: 'close' });
    return this.closeCode!;
  }

  async socketId(): Promise<string> {
    return (JSON.parse((await this.next('pusher:connection_established')).data) as { socket_id: string }).socket_id;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * The Node server library, pointed at the stack's API with the tenant's credentials; with an encryption
 * master key it seals private-encrypted- triggers and adds `shared_secret` to their authorizations, as a
 * customer's server does (Herald never sees the key).
 */
export function serverLibrary(stack: Stack, t: Tenant, opts: { encryptionMasterKeyBase64?: string } = {}): PusherServer {
  const api = new URL(stack.apiUrl);
  return new PusherServer({ appId: t.appId, key: t.commonKey, secret: t.secret, host: api.hostname, port: api.port, useTLS: false, ...opts });
}

/** A presence member as an app's auth endpoint gives it to the server library (which takes a numeric id too, typings aside). */
export interface PresenceUser {
  user_id: string | number;
  user_info?: Record<string, unknown>;
}

/** A channel authorization as pusher-js takes it (`channel_data` on presence channels, `shared_secret` on encrypted ones). */
export type Authorization = { auth: string; channel_data?: string; shared_secret?: string };

/**
 * pusher-js (Node) against a gateway; private and presence channels authorized by the server library
 * (as `user` on presence channels), as an app's auth endpoint would.
 */
export function pusherJs(
  stack: Stack,
  t: Tenant,
  opts: {
    gateway?: number;
    port?: number;
    user?: PresenceUser;
    authorize?: (socketId: string, channel: string) => string | Authorization;
    signin?: (socketId: string) => { auth: string; user_data: string };
  } = {},
): PusherClient {
  const gw = new URL(stack.gateways[opts.gateway ?? 0].url);
  const server = serverLibrary(stack, t);
  const authorize = opts.authorize ?? ((socketId: string, channel: string) => server.authorizeChannel(socketId, channel, channel.startsWith('presence-') ? (opts.user as PusherServer.PresenceChannelData) : undefined));
  const client = new PusherJs(t.commonKey, {
    cluster: 'herald',
    wsHost: gw.hostname,
    wsPort: opts.port ?? Number(gw.port),
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    userAuthentication: { customHandler: ({ socketId }: { socketId: string }, cb: (e: Error | null, a: { auth: string; user_data: string } | null) => void) => cb(null, opts.signin ? opts.signin(socketId) : null) },
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, cb: (e: Error | null, a: Authorization) => void) => {
        const a = authorize(socketId, channelName);
        cb(null, typeof a === 'string' ? { auth: a } : a);
      },
    },
  });
  opened.push(client);
  return client;
}

const opened: PusherClient[] = [];

/** Stops every pusher-js client made here (a failed test must not leave one reconnecting forever). */
export function disconnectAll(): void {
  for (const c of opened.splice(0)) c.disconnect();
}

export async function connected(p: PusherClient, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => p.connection.state === 'connected', { timeoutMs, what: 'pusher-js connected' });
}
