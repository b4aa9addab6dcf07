import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isBlockedAddress, publicOnlyLookup } from './public-address.js';

export interface PostOutcome {
  /** null when no answer came (refused, timeout, connection error). */
  statusCode: number | null;
  latencyMs: number;
  /** null for a 2xx; else `HTTP <code>: <start of the body>` or what went wrong. */
  error: string | null;
  /** The answer's headers (Retry-After…), when there was an answer. */
  headers?: http.IncomingHttpHeaders;
}

const RESPONSE_SNIPPET = 200;

/**
 * Outbound POSTs to customer-given URLs (webhook endpoints, push services): keep-alive agents, a hard
 * timeout and, unless `allowPrivate`, the SSRF guard — hosts are resolved and checked by the agents' own
 * lookup, so the connection goes to a checked address; an IP literal, which skips the lookup, is checked here.
 */
export class GuardedPoster {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly opts: { timeoutMs: number; allowPrivate: boolean; maxSockets?: number }) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, lookup: opts.allowPrivate ? undefined : publicOnlyLookup };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }

  get allowPrivate(): boolean {
    return this.opts.allowPrivate;
  }

  post(u: URL, headers: http.OutgoingHttpHeaders, body: string | Buffer | null): Promise<PostOutcome> {
    const started = performance.now();
    const literal = u.hostname.replace(/^\[|\]$/g, '');
    if (!this.opts.allowPrivate && isIP(literal) && isBlockedAddress(literal)) {
      return Promise.resolve({ statusCode: null, latencyMs: 0, error: `refused: ${literal} is not a public address` });
    }
    const lib = u.protocol === 'https:' ? https : http;
    return new Promise<PostOutcome>((resolve) => {
      let settled = false;
      const done = (r: Omit<PostOutcome, 'latencyMs'>) => {
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
          done({ statusCode: code, headers: res.headers, error: ok ? null : `HTTP ${code}${snippet ? `: ${snippet}` : ''}` });
        });
        res.on('error', (e) => done({ statusCode: res.statusCode ?? null, error: e.message }));
      });
      // A receiver that hangs (headers or body) is cut at the timeout: a failure, retried, never a stuck worker.
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
