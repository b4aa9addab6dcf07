import { request } from 'node:http';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  /** The parsed JSON body; undefined when the response has no body (204, 304). */
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>` (an account token or an app key). */
  token?: string;
  json?: unknown;
  /** A raw body, sent as application/json (for malformed or huge bodies). */
  raw?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** One HTTP call to `base + path`; the body is parsed as JSON when there is one. Never throws on a status. */
export async function call<T = Record<string, unknown>>(base: string, method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | undefined;
  if (o.json !== undefined || o.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = o.raw ?? JSON.stringify(o.json);
  } else if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(o.form).toString();
  }
  const res = await fetch(base + path, { method, headers, body });
  return reply<T>(method, path, res.status, await res.text(), res.headers);
}

/**
 * A JSON call like call(), made from a chosen local address: any of 127.0.0.0/8 reaches a loopback
 * server on Linux, so each is a distinct client to the server (or to a proxy in front of it). node:http
 * on a connection of its own, since fetch cannot choose its source address.
 */
export async function callFrom<T = Record<string, unknown>>(localAddress: string, base: string, method: string, path: string, o: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...o.headers };
  const body = o.json === undefined ? undefined : JSON.stringify(o.json);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await new Promise<{ status: number; text: string; headers: Headers }>((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, localAddress, agent: false }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => (text += chunk));
      r.on('error', reject);
      r.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(r.headers)) for (const v of [value ?? []].flat()) h.append(name, v);
        resolve({ status: r.statusCode!, text, headers: h });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  return reply<T>(method, path, res.status, res.text, res.headers);
}

function reply<T>(method: string, path: string, status: number, text: string, headers: Headers): Reply<T> {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new Error(`${method} ${path} → ${status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
  return { status, body: parsed as T, headers };
}

/** Like call(), but a non-2xx status is an error; resolves to the body. */
export async function callOk<T = Record<string, unknown>>(base: string, method: string, path: string, o: CallOptions = {}): Promise<T> {
  const r = await call<T>(base, method, path, o);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
