import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { KeyResolver, originAllowed, type AppContext } from '@herald/db';
import { HeraldError, type PresenceMember } from '@herald/protocol';
import { AppLimits, assertUserId, parsePresenceData } from '@herald/bus';
import { randomBase62 } from '@herald/auth';

/** An authenticated request: its app and key, and who the client said it is (GoEasy's connect({id, data})). */
export interface Connect {
  ctx: AppContext;
  user?: PresenceMember;
}

/** A connection admitted against the plan's concurrent-connection cap: it holds a slot until it closes. */
export interface Admitted extends Connect {
  connId: string;
}

/**
 * Checked before a connection exists, whatever the transport: the app key (every connection) and the
 * Origin. An app with no allowed origins — or on a plan allowing any — takes any origin; a request
 * without an Origin header (servers, native apps) follows the key rules alone; the dashboard's own
 * origin is always allowed.
 */
@Injectable()
export class ConnectAuth {
  private readonly dashboardOrigin: string;

  constructor(
    private readonly keys: KeyResolver,
    private readonly limits: AppLimits,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.dashboardOrigin = new URL(config.publicApiUrl).origin;
  }

  /** `params`: the request's query — `appkey`, and optional `id` and `data` (a JSON object). */
  async authenticate(params: URLSearchParams, origin: string | undefined): Promise<Connect> {
    const ctx = await this.keys.resolve(params.get('appkey') ?? undefined);
    if (origin !== undefined && !originAllowed(ctx.app, origin, this.dashboardOrigin)) {
      throw new HeraldError('origin_not_allowed', `Origin ${origin.slice(0, 100)} is not allowed for this app`);
    }
    const id = params.get('id');
    const user = id === null || id === '' ? undefined : { id: assertUserId(id), data: parsePresenceData(params.get('data') ?? undefined) };
    return { ctx, user };
  }

  /**
   * Takes one of the plan's connection slots, shared by every gateway. Called last, just before a
   * session opens, so a refused or one-shot request (publish, history) never holds one; the session
   * releases it when it closes.
   */
  async admit(connect: Connect): Promise<Admitted> {
    // 71 bits from the pooled CSPRNG (a randomBytes call per connection was 4% of a reconnect storm).
    const connId = randomBase62(12);
    await this.limits.admitConnection(connect.ctx.app.id, connId, connect.ctx.app.plan, this.config.connLeaseMs);
    return { ...connect, connId };
  }
}
