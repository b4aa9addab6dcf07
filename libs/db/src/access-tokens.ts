import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { HeraldError, isPrivateChannel } from '@herald/protocol';
import { SecretBox, verifyAccessToken } from '@herald/auth';
import { KeysRepository } from './repositories/keys.repository.js';
import type { AppContext } from './key-resolver.js';

export interface AccessRequest {
  channel: string;
  /** r = subscribe, history, presence; w = publish. */
  need: 'r' | 'w';
  token?: string;
  /** The connection's user id, when it gave one: a token naming a user binds to it. */
  userId?: string;
}

const MAX_CACHED_APPS = 10_000;

/**
 * The one place that decides access to a private channel: the secret key (a server) may always; any
 * other key needs an access token signed with one of the app's live secrets (both during a rotation's
 * grace), for that channel, with the right permission, unexpired, and for that user when it names one.
 */
@Injectable()
export class AccessTokens {
  private readonly secrets = new Map<string, { at: number; values: string[] }>();
  private readonly box: SecretBox;

  constructor(
    private readonly keys: KeysRepository,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.box = new SecretBox(config.masterKey);
  }

  isPrivate(ctx: AppContext, channel: string): boolean {
    return isPrivateChannel(channel, ctx.app.privatePrefixes);
  }

  async authorize(ctx: AppContext, req: AccessRequest, now = Date.now()): Promise<void> {
    if (ctx.keyKind === 'secret' || !this.isPrivate(ctx, req.channel)) return;
    if (!req.token) throw new HeraldError('token_required', `Private channel ${req.channel}: an access token is required`);
    const check = await verifyAccessToken(req.token, await this.secretsOf(ctx.app.id, now), now);
    if (!check.ok) {
      if (check.problem === 'expired') throw new HeraldError('token_expired');
      throw new HeraldError('invalid_token', `Invalid access token (${check.problem.replace('_', ' ')})`);
    }
    const c = check.claims;
    if (c.channel !== req.channel) throw new HeraldError('invalid_token', `The access token is for another channel`);
    if (c[req.need] !== true) throw new HeraldError('forbidden', req.need === 'w' ? 'The access token does not allow publishing' : 'The access token does not allow reading');
    if (c.id !== undefined && c.id !== req.userId) throw new HeraldError('invalid_token', 'The access token is for another user');
  }

  /** The app's usable secrets, decrypted, cached like keys (HERALD_KEY_CACHE_MS); Pusher signatures are checked against them. */
  async secretsOf(appId: string, now: number): Promise<string[]> {
    const hit = this.secrets.get(appId);
    if (hit && now - hit.at < this.config.keyCacheMs) return hit.values;
    const keys = await this.keys.list(appId);
    const values = keys
      .filter((k) => k.kind === 'secret' && k.secretCipher && (k.status === 'active' || (k.status === 'retiring' && (k.retiresAt?.getTime() ?? 0) > now)))
      .map((k) => this.box.open(k.secretCipher!, appId));
    if (this.secrets.size >= MAX_CACHED_APPS) this.secrets.clear();
    this.secrets.set(appId, { at: now, values });
    return values;
  }
}
