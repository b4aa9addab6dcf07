import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { RedisClient } from '@herald/bus';
import { PUSHER_USER_CHANNEL_PREFIX, USER_CHANNEL_PREFIX, pusherSignatureValid, userChannel, userSigninText } from '@herald/auth';
import { RedisKeys, assertUserId, createRedis } from '@herald/bus';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { AccessTokens, KeyResolver } from '@herald/db';
import { CLOSE_CODES, HeraldError } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import type { Session } from '../session/session.js';
import { encodePusher, pusherError, subscriptionError } from './pusher-frames.js';
import type { PusherTransport } from './pusher-transport.js';

/** Bounds what a sign-in frame may carry (Pusher's user_data is small: an id and a few fields). */
const MAX_AUTH = 400;
const MAX_USER_DATA = 4096;

/**
 * Pusher's user sign-in (`pusher:signin`, pusher-js `signin()`) and what hangs on it: the user's
 * channel `#server-to-user-{id}` (sendToUser) and terminate_connections. `auth` =
 * `{key}:{hex HMAC-SHA256(secret, "{socket_id}::user::{user_data}")}` (the `pusher` library's
 * authenticateUser), the key one of the session's app's, the signature one of its usable secrets',
 * compared in constant time; `user_data` is JSON with a string `id` (Herald's user id alphabet). A bad
 * sign-in closes the socket with Pusher's 4009. Terminations reach every gateway on one Redis pub/sub
 * channel (`appId|userId`), listened to from this gateway's first sign-in on; only sockets of that app
 * signed in as that user close.
 */
@Injectable()
export class PusherSignin implements OnApplicationShutdown {
  /** Signed-in sessions by `appId|userId`, and the user of each. */
  private readonly byUser = new Map<string, Set<Session>>();
  private readonly userOf = new WeakMap<Session, string>();
  private subscriber?: RedisClient;
  private listening?: Promise<unknown>;

  constructor(
    private readonly core: SessionCore,
    private readonly keys: KeyResolver,
    private readonly secrets: AccessTokens,
    private readonly redisKeys: RedisKeys,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  async signin(session: Session, transport: PusherTransport, data: Record<string, unknown>): Promise<void> {
    // The first sign-in stands: a second is answered, not obeyed (and does not end the socket).
    if (this.userOf.has(session)) return transport.write(pusherError('This connection is already signed in', null));
    const { auth, user_data: userData } = data;
    if (typeof auth !== 'string' || auth.length > MAX_AUTH || typeof userData !== 'string' || userData.length > MAX_USER_DATA) {
      return this.refuse(session, 'pusher:signin needs auth and user_data strings');
    }
    let userId: string;
    try {
      userId = assertUserId((JSON.parse(userData) as { id?: unknown }).id);
    } catch (e) {
      return this.refuse(session, `user_data must be JSON with an id: ${(e as Error).message}`);
    }
    const colon = auth.lastIndexOf(':');
    const signer = colon > 0 ? await this.keys.resolve(auth.slice(0, colon)).catch(() => undefined) : undefined;
    const secrets = await this.secrets.secretsOf(session.appId, Date.now());
    if (signer?.app.id !== session.appId || !pusherSignatureValid(secrets, userSigninText(transport.socketId, userData), auth.slice(colon + 1))) {
      return this.refuse(session, 'invalid signature');
    }
    await this.listen();
    if (session.closed) return;
    this.remember(session, transport, userId);
    transport.write(encodePusher({ event: 'pusher:signin_success', data: JSON.stringify({ user_data: userData }) }));
  }

  /** Whether a `pusher:subscribe` names a user channel (Pusher's `#server-to-user-…` or Herald's internal name). */
  isUserChannel(channel: unknown): channel is string {
    return typeof channel === 'string' && (channel.startsWith(PUSHER_USER_CHANNEL_PREFIX) || channel.startsWith(USER_CHANNEL_PREFIX));
  }

  /** pusher-js subscribes to `#server-to-user-{id}` after signing in: only that user's own, never by the internal name. */
  async subscribe(session: Session, transport: PusherTransport, channel: string): Promise<void> {
    const userId = this.userOf.get(session);
    if (userId === undefined || channel !== `${PUSHER_USER_CHANNEL_PREFIX}${userId}`) {
      return transport.write(subscriptionError(channel, 'A user channel is only for the connection signed in as that user', 403));
    }
    // A failure (the plan's channel cap) reaches the client as a subscription_error from the core.
    await this.core.subscribe(session, [{ channel: userChannel(userId) }], undefined, true);
  }

  private refuse(session: Session, why: string): void {
    this.core.disconnect(session, CLOSE_CODES.unauthorized, `unauthorized: sign-in refused: ${why}`);
  }

  private remember(session: Session, transport: PusherTransport, userId: string): void {
    const key = `${session.appId}|${userId}`;
    this.userOf.set(session, userId);
    let sessions = this.byUser.get(key);
    if (!sessions) this.byUser.set(key, (sessions = new Set()));
    sessions.add(session);
    void transport.whenClosed().then(() => {
      sessions.delete(session);
      if (sessions.size === 0 && this.byUser.get(key) === sessions) this.byUser.delete(key);
    });
  }

  /** Subscribes to terminations once; a sign-in is answered only once they can reach its socket. */
  private listen(): Promise<unknown> {
    if (this.listening) return this.listening;
    const subscriber = createRedis(this.config, 'subscriber', 'gateway-pusher-users');
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, member: string) => this.terminate(member));
    this.listening = subscriber.subscribe(this.redisKeys.pusherTerminations).catch((e: unknown) => {
      this.listening = undefined;
      subscriber.disconnect();
      throw new HeraldError('unavailable', `sign-in unavailable: ${(e as Error).message}`);
    });
    return this.listening;
  }

  private terminate(member: string): void {
    for (const session of this.byUser.get(member) ?? []) {
      this.core.disconnect(session, CLOSE_CODES.forbidden, 'forbidden: the app terminated this user\'s connections');
    }
  }
}
