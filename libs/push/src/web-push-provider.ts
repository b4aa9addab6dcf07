import webpush from 'web-push';
import { GuardedPoster } from '@herald/webhooks';
import { parseRetryAfter, type PushCredentials, type PushMessageOptions, type PushProvider, type PushResult, type PushTarget } from './push-provider.js';

/** A VAPID JWT is signed for 12 h and reused until 1 h before it expires (push services accept up to 24 h). */
const JWT_LIFETIME_S = 12 * 3600;
const JWT_REUSE_S = 11 * 3600;
const MAX_CACHED_JWTS = 10_000;

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm encryption (RFC 8291): the `web-push` library
 * encrypts and signs (generateRequestDetails); the request itself goes through the webhooks' guarded
 * poster (keep-alive, a hard timeout and, unless `allowPrivate`, the SSRF guard: the address connected
 * to is the address checked), https only.
 */
export class WebPushProvider implements PushProvider {
  readonly kind = 'webpush' as const;
  private readonly poster: GuardedPoster;
  /** `Authorization: vapid t=…, k=…` per app key, push service origin and subject: signing one costs milliseconds (the library's key conversion), so it is done once per origin and 11 h, not per push. */
  private readonly jwts = new Map<string, { header: string; renewAt: number }>();

  constructor(private readonly opts: { timeoutMs: number; allowPrivate: boolean; maxSockets?: number }) {
    this.poster = new GuardedPoster(opts);
  }

  async send(target: PushTarget, message: PushMessageOptions, credentials: PushCredentials): Promise<PushResult> {
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, message.payload, {
        headers: { Authorization: this.vapidHeader(new URL(target.endpoint).origin, credentials) },
        TTL: message.ttl,
        urgency: message.urgency,
        ...(message.topic ? { topic: message.topic } : {}),
        contentEncoding: 'aes128gcm',
      });
    } catch (e) {
      return { statusCode: null, latencyMs: 0, error: `not sent: ${(e as Error).message}` };
    }
    // The library sets TTL (0 included: "now or never"), Urgency and Topic from the options.
    const headers: Record<string, string | number> = { ...(details.headers as Record<string, string | number>), 'User-Agent': 'Herald-Push/1' };
    const u = new URL(details.endpoint);
    // Private addresses are the poster's to refuse; plain http is refused here (push services are https).
    if (!this.opts.allowPrivate && u.protocol !== 'https:') return { statusCode: null, latencyMs: 0, error: 'refused: not https' };
    const r = await this.poster.post(u, headers, (details.body as Buffer | null) ?? null);
    const retryAfterMs = r.headers ? parseRetryAfter(r.headers['retry-after']) : undefined;
    return { statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  private vapidHeader(audience: string, c: PushCredentials, now = Date.now()): string {
    const key = `${c.vapid.publicKey}|${audience}|${c.subject}`;
    const hit = this.jwts.get(key);
    if (hit && now < hit.renewAt) return hit.header;
    const nowS = Math.floor(now / 1000);
    const header = webpush.getVapidHeaders(audience, c.subject, c.vapid.publicKey, c.vapid.privateKey, 'aes128gcm', nowS + JWT_LIFETIME_S).Authorization;
    if (this.jwts.size >= MAX_CACHED_JWTS) this.jwts.clear();
    this.jwts.set(key, { header, renewAt: (nowS + JWT_REUSE_S) * 1000 });
    return header;
  }

  close(): void {
    this.poster.close();
  }
}
