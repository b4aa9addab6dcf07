import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isBlockedAddress } from './webhook-url.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** Refuses, at connect time, hosts resolving to a blocked address: the address checked is the one used. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as unknown as LookupAddress[];
    const bad = list.find((a) => isBlockedAddress(a.address));
    if (bad || list.length === 0) return callback(new Error(`refused: ${hostname} resolves to a non-public address`), '', 0);
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0].address, list[0].family);
  });
};

const RESPONSE_SNIPPET = 200;

/** Posts signed deliveries with keep-alive connections, a hard timeout, and the SSRF guard in production. */
export class WebhookSender {
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly opts: { timeoutMs: number; production: boolean; maxSockets?: number }) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, lookup: opts.production ? guardedLookup : undefined };
    this.agents = { http: new http.Agent(common), https: new https.Agent(common) };
  }

  send(url: string, secret: string, body: string, headers: Record<string, string>, now = Date.now()): Promise<SendResult> {
    const started = performance.now();
    const u = new URL(url);
    if (this.opts.production && /^\[?[0-9a-f:.]+\]?$/i.test(u.hostname) && isBlockedAddress(u.hostname.replace(/^\[|\]$/g, ''))) {
      return Promise.resolve({ ok: false, statusCode: null, latencyMs: 0, error: 'refused: non-public address' });
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
