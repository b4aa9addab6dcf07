import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type PusherServer from 'pusher';
import { ROOT, waitFor, type Stack, type Tenant } from '@herald/testing';
import { WAIT_MS, readBody, type BrowserApp, type Reply } from './browser-app.js';
import { serverLibrary } from './pusher-clients.js';

// pusher-js's own browser builds in Chromium, configured as a customer's page configures them for
// Herald (docs/pusher.md), and the customer's backend the test plays: channel authorization by the
// `pusher` library's authorizeChannel (sealing keys included for encrypted channels) and user
// authentication by its authenticateUser. The user is who the page says it is (an `X-User` header
// standing in for the customer's session); the page names its app in the auth requests' params.

export const PUSHER_SCRIPTS: Record<string, string> = {
  '/pusher.min.js': join(ROOT, 'node_modules/pusher-js/dist/web/pusher.min.js'),
  '/pusher-with-encryption.min.js': join(ROOT, 'node_modules/pusher-js/dist/web/pusher-with-encryption.min.js'),
};

/** A channel the customer's backend refuses (403). */
export const FORBIDDEN = 'private-forbidden';
/** A channel a broken backend authorizes with a signature made for another channel (the gateway's 401). */
export const MISSIGNED = 'private-missigned';

/** The customer's servers, one per app the tests made, and the routes its pages call. */
export class CustomerBackend {
  private readonly servers = new Map<string, PusherServer>();

  /** The customer's server library for `t` (with an encryption master key for encrypted channels). */
  serve(stack: Stack, t: Tenant, opts: { encryptionMasterKeyBase64?: string } = {}): PusherServer {
    const server = serverLibrary(stack, t, opts);
    this.servers.set(t.appId, server);
    return server;
  }

  readonly routes = async (req: IncomingMessage, url: URL): Promise<Reply | undefined> => {
    if (req.method !== 'POST' || (url.pathname !== '/pusher/auth' && url.pathname !== '/pusher/user-auth')) return undefined;
    const form = new URLSearchParams(await readBody(req));
    const server = this.servers.get(form.get('app') ?? '');
    const user = req.headers['x-user'];
    const socketId = form.get('socket_id') ?? '';
    if (!server) return [404, 'application/json', '{"message":"no such app"}'];
    if (url.pathname === '/pusher/user-auth') {
      if (typeof user !== 'string') return [403, 'application/json', '{"message":"not logged in"}'];
      return [200, 'application/json', JSON.stringify(server.authenticateUser(socketId, { id: user, name: user.toUpperCase() }))];
    }
    const channel = form.get('channel_name') ?? '';
    if (channel === FORBIDDEN) return [403, 'application/json', '{"message":"Forbidden"}'];
    const member = channel.startsWith('presence-') && typeof user === 'string' ? { user_id: user, user_info: { name: user.toUpperCase() } } : undefined;
    return [200, 'application/json', JSON.stringify(server.authorizeChannel(socketId, channel === MISSIGNED ? 'private-other' : channel, member))];
  };
}

/**
 * What a page saw: `got` is what the test's callbacks recorded, `frames` every event frame the socket
 * received (`"channel event"`, also for channels pusher-js no longer holds), `errors` the connection's
 * error events, `states` its state changes after the constructor's `connecting`.
 */
export interface PageState {
  got: Array<[label: string, data: unknown] | [label: string, data: unknown, userId: string]>;
  frames: string[];
  errors: Array<{ type: string; code: number | null; message?: string }>;
  states: string[];
}
interface Member {
  id: string;
  info: unknown;
}
export interface PageChannel {
  subscribed: boolean;
  bind(event: string, f: (...args: never[]) => void): PageChannel;
  bind_global(f: (event: string, data: unknown) => void): PageChannel;
  trigger(event: string, data: unknown): boolean;
  members: { count: number; me: Member; each(f: (m: Member) => void): void };
}
interface PusherJsError {
  type: string;
  data?: { code?: number | null; message?: string };
  error?: { data?: { code?: number | null; message?: string } };
}
/** The page's globals: pusher-js's `Pusher`, the instance, what it saw and the recorders. */
export interface PusherPageGlobals {
  Pusher: new (key: string, options: object) => PusherPageGlobals['pusher'];
  pusher: {
    subscribe(name: string): PageChannel;
    unsubscribe(name: string): void;
    channel(name: string): PageChannel | undefined;
    signin(): void;
    disconnect(): void;
    connection: { state: string; socket_id: string; bind(event: string, f: (e: never) => void): void };
    user: { user_data: { id: string } | null; serverToUserChannel: { subscribed: boolean } | null; bind_global(f: (event: string, data: unknown) => void): void };
  };
  state: PageState;
  /** A `bind` callback recording `[label, data]` (and the `user_id` pusher-js hands a presence client event). */
  record(label: string): (data: unknown, meta?: { user_id?: string }) => void;
  /** A `bind_global` callback recording `["label event", data]`. */
  recordAll(label: string): (event: string, data: unknown) => void;
}
declare const window: PusherPageGlobals;

/**
 * A page of the customer's app in a browser context of its own (a user's tab), with pusher-js for
 * Herald's gateway (`key` usually the app's common key) already connecting.
 */
export async function pusherPage(app: BrowserApp, key: string, opts: { appId?: string; user?: string; encryption?: boolean } = {}): Promise<Page> {
  const context = await app.browser.newContext();
  const page = await context.newPage();
  await page.goto(app.url);
  await page.addScriptTag({ url: opts.encryption ? '/pusher-with-encryption.min.js' : '/pusher.min.js' });
  const gw = new URL(app.stack.gateways[0].url);
  await page.evaluate(
    ({ key, host, port, appId, user }) => {
      const state: PageState = { got: [], frames: [], errors: [], states: [] };
      window.state = state;
      window.record = (label) => (data, meta) => void state.got.push(meta?.user_id === undefined ? [label, data] : [label, data, meta.user_id]);
      window.recordAll = (label) => (event, data) => void state.got.push([`${label} ${event}`, data]);
      const auth = { params: { app: appId ?? '' }, headers: user === undefined ? {} : { 'X-User': user } };
      window.pusher = new window.Pusher(key, {
        cluster: 'herald',
        wsHost: host,
        wsPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
        channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax', ...auth },
        userAuthentication: { endpoint: '/pusher/user-auth', transport: 'ajax', ...auth },
      });
      window.pusher.connection.bind('state_change', (s: { current: string }) => void state.states.push(s.current));
      window.pusher.connection.bind('message', (m: { event: string; channel?: string }) => void (m.channel !== undefined && state.frames.push(`${m.channel} ${m.event}`)));
      window.pusher.connection.bind('error', (e: PusherJsError) => {
        const d = e.data ?? e.error?.data;
        state.errors.push({ type: e.type, code: d?.code ?? null, message: d?.message });
      });
    },
    { key, host: gw.hostname, port: Number(gw.port), appId: opts.appId, user: opts.user },
  );
  return page;
}

export const pageState = (page: Page): Promise<PageState> => page.evaluate(() => window.state);

/** What the page recorded under labels starting with `prefix`. */
export const recorded = async (page: Page, prefix: string): Promise<PageState['got']> => (await pageState(page)).got.filter(([label]) => label.startsWith(prefix));

export const connectionState = (page: Page): Promise<string> => page.evaluate(() => window.pusher.connection.state);

export async function connected(page: Page): Promise<void> {
  await waitFor(async () => (await connectionState(page)) === 'connected', { timeoutMs: WAIT_MS, what: 'pusher-js connected' });
}

/** Waits until pusher-js has each channel's subscription_succeeded. */
export async function subscribed(page: Page, channels: string[]): Promise<void> {
  await waitFor(() => page.evaluate((names) => names.every((n) => window.pusher.channel(n)?.subscribed === true), channels), { timeoutMs: WAIT_MS, what: `${channels.join(', ')} subscribed` });
}

let barriers = 0;
/**
 * Every frame the page sent before was handled: the gateway handles a socket's frames in order, so a
 * subscribe acknowledged after them is a barrier.
 */
export async function settled(page: Page): Promise<void> {
  const channel = `barrier-${++barriers}`;
  await page.evaluate((name) => void window.pusher.subscribe(name), channel);
  await subscribed(page, [channel]);
}

/** Waits until the page recorded `count` entries under `prefix`, and returns them. */
export async function received(page: Page, prefix: string, count: number): Promise<PageState['got']> {
  let got: PageState['got'] = [];
  await waitFor(async () => (got = await recorded(page, prefix)).length >= count, { timeoutMs: WAIT_MS, what: `${count} × ${prefix} in the page` });
  return got;
}

export const closePage = (page: Page): Promise<void> => page.context().close();
