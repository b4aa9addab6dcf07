import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isBlockedAddress, publicOnlyLookup } from './public-address.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

const RESPONSE_SNIPPET = 200;

/**
 * Posts signed deliveries with keep-alive connections, a hard timeout and, unless `allowPrivate`, the SSRF
 * guard: hosts are resolved and checked by the agents' own lookup, so the connection goes to a checked address.
 */
export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly opts: { timeoutMs: number; allowPrivate: boolean; maxSockets?: number }) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, lookup: opts.allowPrivate ? undefined : publicOnlyLookup };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }

  send(url: string, secret: string, body: string, headers: Record<string, string>, now = Date.now()): Promise<SendResult> {
    const started = performance.now();
    const u = new URL(url);
    // An IP literal never goes through the agent's lookup: it is checked here.
    const literal = u.hostname.replace(/^\[|\]$/g, '');
    if (!this.opts.allowPrivate && isIP(literal) && isBlockedAddress(literal)) {
      return Promise.resolve({ ok: false, statusCode: null, latencyMs: 0, error: `refused: ${literal} is not a public address` });
    }
    const lib = u.protocol === 'https:' ? https : http;
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const done = (r: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, latencyMs: Math.round(performance.now() - started) });
      };
      const req = lib.request(
        u,
        {
          method: 'POST',
          agent: u.protocol === 'https:' ? this.agents.https : this.agents.http,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Herald-Webhooks/1',
            [SIGNATURE_HEADER]: signWebhook(secret, body, now),
            ...headers,
          },
        },
        (res) => {
          let snippet = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (snippet.length < RESPONSE_SNIPPET) snippet += chunk.slice(0, RESPONSE_SNIPPET - snippet.length);
          });
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            const ok = code >= 200 && code < 300;
            done({ ok, statusCode: code, error: ok ? null : `HTTP ${code}${snippet ? `: ${snippet}` : ''}` });
          });
          res.on('error', (e) => done({ ok: false, statusCode: res.statusCode ?? null, error: e.message }));
        },
      );
      // A receiver that hangs (headers or body) is cut at the timeout: a failure, retried, never a stuck worker.
      const timer = setTimeout(() => {
        done({ ok: false, statusCode: null, error: `timeout after ${this.opts.timeoutMs} ms` });
        req.destroy(new Error('timeout'));
      }, this.opts.timeoutMs);
      req.on('error', (e) => done({ ok: false, statusCode: null, error: e.message }));
      req.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
