import { Inject, Injectable } from '@nestjs/common';
import type { RedisClient } from '@herald/bus';
import { REDIS, RedisKeys, assertUserId } from '@herald/bus';
import type { AppContext } from '@herald/db';
import { PusherHttpError } from './pusher-request-auth.js';

/** A Pusher user id from a path or a channel name: Herald's user id alphabet (as presence), else Pusher's 400. */
export function pusherUserId(raw: string): string {
  try {
    return assertUserId(raw);
  } catch (e) {
    throw new PusherHttpError(400, (e as Error).message);
  }
}

/** Pusher's user endpoints of the HTTP API. */
@Injectable()
export class PusherUsers {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * POST /apps/{id}/users/{user_id}/terminate_connections: every gateway closes the sockets of this app
   * signed in as the user (Pusher's 4009). Fire and forget, as Pusher: `{}` once announced.
   */
  async terminate(ctx: AppContext, userId: string): Promise<Record<string, never>> {
    await this.redis.publish(this.keys.pusherTerminations, `${ctx.app.id}|${pusherUserId(userId)}`);
    return {};
  }
}
