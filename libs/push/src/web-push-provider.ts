import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import webpush from 'web-push';
import { isBlockedAddress, publicOnlyLookup } from '@herald/webhooks';
import { parseRetryAfter, type PushCredentials, type PushMessageOptions, type PushProvider, type PushResult, type PushTarget } from './push-provider.js';

const RESPONSE_SNIPPET = 200;

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm encryption (RFC 8291): the `web-push` library
 * encrypts and signs (generateRequestDetails); the request itself goes through Herald's own agents, with
 * keep-alive, a hard timeout and, unless `allowPrivate`, the SSRF guard of webhooks (the address
 * connected to is the address checked).
 */
export class WebPushProvider implements PushProvider {
  readonly kind = 'webpush' as const;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly opts: { timeoutMs: number; allowPrivate: boolean; maxSockets?: number }) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, lookup: opts.allowPrivate ? undefined : publicOnlyLookup };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }

  send(target: PushTarget, message: PushMessageOptions, credentials: PushCredentials): Promise<PushResult> {
    const started = performance.now();
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, message.payload, {
        vapidDetails: { subject: credentials.subject, publicKey: credentials.vapid.publicKey, privateKey: credentials.vapid.privateKey },
        TTL: message.ttl,
        urgency: message.urgency,
        ...(message.topic ? { topic: message.topic } : {}),
        contentEncoding: 'aes128gcm',
      });
    } catch (e) {
      return Promise.resolve({ statusCode: null, latencyMs: 0, error: `not sent: ${(e as Error).message}` });
    }
    // The library sets TTL (0 included: "now or never"), Urgency and Topic from the options.
    const headers: Record<string, string | number> = { ...(details.headers as Record<string, string | number>), 'User-Agent': 'Herald-Push/1' };
    const u = new URL(details.endpoint);
    const literal = u.hostname.replace(/^\[|\]$/g, '');
    if (!this.opts.allowPrivate && (u.protocol !== 'https:' || (isIP(literal) && isBlockedAddress(literal)))) {
      return Promise.resolve({ statusCode: null, latencyMs: 0, error: `refused: ${u.protocol !== 'https:' ? 'not https' : `${literal} is not a public address`}` });
    }
    const lib = u.protocol === 'https:' ? https : http;
    const body = details.body as Buffer | null;
    return new Promise<PushResult>((resolve) => {
      let settled = false;
      const done = (r: Omit<PushResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
      };
      const req = lib.request(u, { method: 'POST', agent: u.protocol === 'https:' ? this.agents.https : this.agents.http, headers }, (res) => {
        let snippet = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (snippet.length < RESPONSE_SNIPPET) snippet += chunk.slice(0, RESPONSE_SNIPPET - snippet.length);
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const ok = code >= 200 && code < 300;
          const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
          done({ statusCode: code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), error: ok ? null : `HTTP ${code}${snippet ? `: ${snippet}` : ''}` });
        });
        res.on('error', (e) => done({ statusCode: res.statusCode ?? null, error: e.message }));
      });
      const timer = setTimeout(() => {
        done({ statusCode: null, error: `timeout after ${this.opts.timeoutMs} ms` });
        req.destroy(new Error('timeout'));
      }, this.opts.timeoutMs);
      req.on('error', (e) => done({ statusCode: null, error: e.message }));
      req.end(body ?? undefined);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
