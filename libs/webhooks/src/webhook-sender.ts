import { GuardedPoster } from './guarded-post.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** Posts signed deliveries through the guarded poster (keep-alive, hard timeout, SSRF guard). */
export class WebhookSender {
  private readonly poster: GuardedPoster;

  constructor(opts: { timeoutMs: number; allowPrivate: boolean; maxSockets?: number }) {
    this.poster = new GuardedPoster(opts);
  }

  async send(url: string, secret: string, body: string, headers: Record<string, string>, now = Date.now()): Promise<SendResult> {
    const r = await this.poster.post(
      new URL(url),
      {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'Herald-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(secret, body, now),
        ...headers,
      },
      body,
    );
    return { ok: r.error === null, statusCode: r.statusCode, latencyMs: r.latencyMs, error: r.error };
  }

  close(): void {
    this.poster.close();
  }
}
