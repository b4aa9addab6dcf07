import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

/** A browser's side of a subscription: a real P-256 key pair and auth secret, and the JSON it would give a server. */
export interface TestSubscriber {
  id: string;
  endpoint: string;
  /** PushSubscription.toJSON(): what the page sends to Herald. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
  ecdh: ECDH;
  auth: Buffer;
}

/** The VAPID claims of a request (RFC 8292), verified against `k`. */
export interface VapidClaims {
  /** The `k` parameter: the sender's public key, unpadded base64url. */
  k: string;
  aud: string;
  exp: number;
  sub: string;
}

export interface ReceivedPush {
  subscriber: string;
  at: number;
  headers: IncomingHttpHeaders;
  ttl: string | undefined;
  urgency: string | undefined;
  topic: string | undefined;
  /** What this service answered. */
  status: number;
  vapid?: VapidClaims;
  /** The decrypted body; undefined when the request was refused before decryption. */
  plaintext?: string;
  /** Why the request was refused (a bad JWT, a body that does not decrypt). */
  refused?: string;
}

/** A scripted answer: a status, with an optional Retry-After (seconds). */
export interface PushAnswer {
  status: number;
  retryAfter?: number;
}

const VAPID_MAX_EXP_S = 24 * 3600;

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest();

/**
 * A local RFC 8030 push service for tests, on loopback over HTTP (the test stack allows private
 * endpoints). Every request must carry a valid VAPID `Authorization: vapid t=…, k=…` (ES256 over `k`,
 * `aud` the endpoint's origin, `exp` in the future and at most 24 h ahead) and an `aes128gcm` body, which
 * it decrypts with the subscriber's private key — its own ECDH/HKDF/AES-GCM (RFC 8291, RFC 8188), so a
 * test never trusts the library it checks. Answers are scriptable per subscriber (410, 503 with
 * Retry-After, 429…); the default is 201 Created.
 */
export class LocalPushService {
  readonly received: ReceivedPush[] = [];
  private readonly subscribers = new Map<string, TestSubscriber>();
  private readonly scripts = new Map<string, PushAnswer[]>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<LocalPushService> {
    let self: LocalPushService | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req.url ?? '', req.method ?? '', req.headers, Buffer.concat(chunks), res));
    });
    server.keepAliveTimeout = 30_000;
    self = new LocalPushService(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return self;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A new subscriber with its own keys and endpoint on this service. */
  subscriber(): TestSubscriber {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const id = randomBytes(9).toString('base64url');
    const endpoint = `${this.origin}/push/${id}`;
    const s: TestSubscriber = { id, endpoint, ecdh, auth, json: { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } } };
    this.subscribers.set(id, s);
    return s;
  }

  /** The next requests to this subscriber get these answers, in order; then 201 again. */
  script(subscriber: TestSubscriber, answers: PushAnswer[]): void {
    this.scripts.set(subscriber.id, [...answers]);
  }

  /** Requests to a subscriber (every one, or those answered with `status`). */
  requests(subscriber: TestSubscriber, status?: number): ReceivedPush[] {
    return this.received.filter((r) => r.subscriber === subscriber.id && (status === undefined || r.status === status));
  }

  /** Plaintexts accepted (2xx) for a subscriber, oldest first. */
  delivered(subscriber: TestSubscriber): string[] {
    return this.received.filter((r) => r.subscriber === subscriber.id && r.status >= 200 && r.status < 300).map((r) => r.plaintext!);
  }

  async waitForDelivered(subscriber: TestSubscriber, n: number, timeoutMs = 15_000): Promise<string[]> {
    await waitFor(() => this.delivered(subscriber).length >= n, { timeoutMs, what: `${n} pushes delivered to ${subscriber.id} (have ${this.delivered(subscriber).length})` });
    return this.delivered(subscriber);
  }

  async waitForRequests(subscriber: TestSubscriber, n: number, timeoutMs = 15_000): Promise<ReceivedPush[]> {
    await waitFor(() => this.requests(subscriber).length >= n, { timeoutMs, what: `${n} push requests to ${subscriber.id} (have ${this.requests(subscriber).length})` });
    return this.requests(subscriber);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(url: string, method: string, headers: IncomingHttpHeaders, body: Buffer, res: ServerResponse): void {
    const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(url)?.[1];
    const s = id === undefined ? undefined : this.subscribers.get(id);
    const entry: ReceivedPush = {
      subscriber: id ?? '',
      at: Date.now(),
      headers,
      ttl: headers.ttl as string | undefined,
      urgency: headers.urgency as string | undefined,
      topic: headers.topic as string | undefined,
      status: 0,
    };
    this.received.push(entry);
    const answer = (status: number, extra: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, extra).end();
    };
    if (method !== 'POST' || !s) return answer(404);
    try {
      entry.vapid = verifyVapid(headers.authorization, this.origin);
    } catch (e) {
      entry.refused = (e as Error).message;
      return answer(403);
    }
    if (headers.ttl === undefined || !/^\d+$/.test(String(headers.ttl))) {
      entry.refused = 'TTL header missing';
      return answer(400);
    }
    try {
      if (headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${String(headers['content-encoding'])}`);
      entry.plaintext = decryptAes128gcm(body, s.ecdh, s.auth);
    } catch (e) {
      entry.refused = `does not decrypt: ${(e as Error).message}`;
      return answer(400);
    }
    const next = this.scripts.get(s.id)?.shift();
    if (next) return answer(next.status, next.retryAfter === undefined ? {} : { 'retry-after': String(next.retryAfter) });
    answer(201, { location: `${this.origin}/message/${randomBytes(6).toString('hex')}` });
  }
}

/** Checks `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3): ES256 over the JWT with k, aud, exp, sub. */
export function verifyVapid(header: string | undefined, origin: string, now = Date.now()): VapidClaims {
  const m = /^vapid\s+(.*)$/i.exec(header ?? '');
  if (!m) throw new Error('no vapid Authorization');
  const params = new Map(m[1].split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = params.get('t');
  const k = params.get('k');
  if (!t || !k) throw new Error('vapid t= or k= missing');
  const [h, p, sig] = t.split('.');
  if (!h || !p || !sig) throw new Error('malformed JWT');
  const head = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
  if (head.alg !== 'ES256') throw new Error(`alg ${String(head.alg)}`);
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))) throw new Error('JWT signature does not verify with k');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { aud?: string; exp?: number; sub?: string };
  if (claims.aud !== origin) throw new Error(`aud ${String(claims.aud)} is not ${origin}`);
  const nowS = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= nowS || claims.exp > nowS + VAPID_MAX_EXP_S) throw new Error(`exp ${String(claims.exp)} not within 24 h from now`);
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${String(claims.sub)}`);
  return { k, aud: claims.aud, exp: claims.exp, sub: claims.sub };
}

/** Decrypts a Web Push message (RFC 8291 keys, RFC 8188 aes128gcm framing, one record). */
export function decryptAes128gcm(body: Buffer, ua: ECDH, authSecret: Buffer): string {
  if (body.length < 21 + 65 + 17) throw new Error('body too short');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (idlen !== 65) throw new Error(`keyid length ${idlen}, expected the 65-byte sender key`);
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  if (record.length > rs) throw new Error('more than one record');
  const uaPublic = ua.getPublicKey();
  const ecdhSecret = ua.computeSecret(asPublic);
  // RFC 8291 §3.4: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32)
  const prkKey = hmac(authSecret, ecdhSecret);
  const ikm = hmac(prkKey, Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic, Buffer.from([1])]));
  // RFC 8188 §2.2–2.3: CEK and nonce from the salt.
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'binary')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'binary')).subarray(0, 12);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with 0x02 then zero padding (RFC 8188 §2).
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}
