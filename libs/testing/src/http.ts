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
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new Error(`${method} ${path} → ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Like call(), but a non-2xx status is an error; resolves to the body. */
export async function callOk<T = Record<string, unknown>>(base: string, method: string, path: string, o: CallOptions = {}): Promise<T> {
  const r = await call<T>(base, method, path, o);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
