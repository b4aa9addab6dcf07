import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { pusherSignatureValid } from '@herald/auth';
import { AccessTokens, AppsRepository, KeyResolver, type AppContext } from '@herald/db';
import { HeraldError } from '@herald/protocol';

/** A refusal of the Pusher HTTP API, with Pusher's status and plain-text body. */
export class PusherHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What Pusher's signature covers: the method, the path and every query parameter but the signature. */
export interface SignedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

/**
 * The string Pusher's server libraries sign: `METHOD\nPATH\n` then the parameters (keys lower-cased,
 * sorted, `auth_signature` left out) as `k=v&…`, unescaped.
 */
export function stringToSign(r: SignedRequest): string {
  const params = [...r.query]
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .filter(([k]) => k !== 'auth_signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${r.method}\n${r.path}\n${params}`;
}

/**
 * Pusher's request authentication for `/apps/{app_id}/…`: the key names the app (a key of another app
 * is 401, an app that does not exist 404), `auth_timestamp` is within HERALD_PUSHER_TIMESTAMP_WINDOW_MS
 * of now, `body_md5` is the body's, and `auth_signature` is the HMAC-SHA256 of the request under one of
 * the app's usable secrets (constant-time). The caller then acts as the secret's holder.
 */
@Injectable()
export class PusherRequestAuth {
  constructor(
    private readonly keys: KeyResolver,
    private readonly apps: AppsRepository,
    private readonly secrets: AccessTokens,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  async verify(appId: string, r: SignedRequest, now = Date.now()): Promise<AppContext> {
    const ctx = await this.keys.resolve(r.query.get('auth_key') ?? undefined, now).catch(async (e: unknown) => {
      if (e instanceof HeraldError && e.reason === 'app_suspended') throw new PusherHttpError(403, 'App suspended');
      await this.assertAppExists(appId);
      throw new PusherHttpError(401, 'Unknown auth_key');
    });
    if (ctx.app.id !== appId) {
      await this.assertAppExists(appId);
      throw new PusherHttpError(401, 'The auth_key is not a key of this app');
    }
    const timestamp = Number(r.query.get('auth_timestamp'));
    if (!Number.isFinite(timestamp) || Math.abs(now - timestamp * 1000) > this.config.pusher.timestampWindowMs) {
      throw new PusherHttpError(401, `Timestamp expired: auth_timestamp must be within ${this.config.pusher.timestampWindowMs / 1000} s of the server time (${Math.floor(now / 1000)})`);
    }
    if (r.query.get('auth_version') !== '1.0') throw new PusherHttpError(401, 'auth_version must be 1.0');
    if (r.body.length > 0 && r.query.get('body_md5') !== createHash('md5').update(r.body).digest('hex')) {
      throw new PusherHttpError(401, 'body_md5 does not match the body');
    }
    const signature = r.query.get('auth_signature') ?? '';
    if (!pusherSignatureValid(await this.secrets.secretsOf(appId, now), stringToSign(r), signature)) {
      throw new PusherHttpError(401, 'Invalid signature: you should have sent HmacSHA256Hex(string_to_sign, secret)');
    }
    // Signed with the secret: the caller may do what the secret may (publish to private channels).
    return { ...ctx, keyKind: 'secret' };
  }

  /** Only on a refusal: a flood of bad requests costs one indexed lookup each, never a success's time. */
  private async assertAppExists(appId: string): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(appId) || !(await this.apps.findForSystem(appId))) throw new PusherHttpError(404, 'Unknown app');
  }
}
